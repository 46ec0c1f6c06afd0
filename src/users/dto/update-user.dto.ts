import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUrl, Length, MaxLength, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto.js';
import { USER_ROLES, type UserRole } from '../user.entity.js';

export class UpdateMeDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'Ada L.', maxLength: 100, description: 'null clears it.' })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsString()
  @Length(1, 100)
  display_name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://example.com/ada.png', description: 'null clears it.' })
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
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Case-insensitive substring of the email.', example: 'example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  search?: string;
}
