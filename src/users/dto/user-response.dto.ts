import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../common/pagination/page.dto.js';
import { USER_ROLES, type UserRole } from '../../common/auth/auth-user.js';
import type { User } from '../user.entity.js';

export class UserResponseDto {
  @ApiProperty({ format: 'uuid', example: '0b7d5a7e-5a43-4a51-9f5e-3f2d4c1b2a10' })
  id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ada@example.com',
    description: "A local account's login email; an external user's is the identity provider's email claim (null when it sent none).",
  })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Ada' })
  display_name!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'https://example.com/ada.png' })
  avatar_url!: string | null;

  @ApiProperty({ enum: USER_ROLES, example: 'user' })
  role!: UserRole;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

/** What admins see: the user plus their own quota overrides (null: the default applies). */
export class AdminUserResponseDto extends UserResponseDto {
  @ApiProperty({ type: 'integer', nullable: true, example: null })
  daily_token_limit!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 500 })
  daily_message_limit!: number | null;
}

export class UserPageDto extends PageOf(AdminUserResponseDto) {}

export function toAdminUserResponse(user: User): AdminUserResponseDto {
  return { ...toUserResponse(user), daily_token_limit: user.dailyTokenLimit, daily_message_limit: user.dailyMessageLimit };
}

/** The only way a user leaves the service layer: fields listed one by one, so a new column cannot leak. */
export function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    email: user.email,
    display_name: user.displayName,
    avatar_url: user.avatarUrl,
    role: user.role,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}
