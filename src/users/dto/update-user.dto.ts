import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Length, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { ApiPageSize, PageQueryDto } from '../../common/pagination/page-query.dto.js';
import { USER_ROLES, type UserRole } from '../../common/auth/auth-user.js';

export class UpdateMeDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Ada L.', minLength: 1, maxLength: 100, description: 'null clears it.' })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsString()
  @Length(1, 100)
  display_name?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'uri',
    maxLength: 2048,
    example: 'https://example.com/ada.png',
    description: 'An http(s) URL; null clears it.',
  })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true }, { message: 'avatar_url must be an http(s) URL' })
  @MaxLength(2048)
  avatar_url?: string | null;
}

export class AdminUpdateUserDto {
  @ApiPropertyOptional({ enum: USER_ROLES })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: UserRole;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    example: 200000,
    description: 'Tokens per UTC day; null: the default.',
  })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  daily_token_limit?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 0,
    maximum: 2_147_483_647,
    example: 500,
    description: 'User messages per UTC day; null: the default.',
  })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  daily_message_limit?: number | null;
}

@ApiPageSize({ defaultSize: 10, maxSize: 100, configured: true })
export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Case-insensitive substring of the email.', example: 'example.com', maxLength: 254 })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  search?: string;
}
