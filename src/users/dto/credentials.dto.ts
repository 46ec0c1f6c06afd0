import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { UserResponseDto } from './user-response.dto.js';

const normaliseEmail = () => Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 })
  @normaliseEmail()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery', minLength: 8, maxLength: 128 })
  @IsString()
  @Length(8, 128)
  password!: string;
}

export class RegisterDto extends LoginDto {
  @ApiPropertyOptional({ example: 'Ada', minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  display_name?: string;
}

export class RefreshTokenDto {
  @ApiProperty({ minLength: 1, maxLength: 200, description: 'The refresh_token from register, login or a previous refresh.' })
  @IsString()
  @Length(1, 200)
  refresh_token!: string;
}

export class AuthResponseDto {
  @ApiProperty({ type: UserResponseDto })
  user!: UserResponseDto;

  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer …`.' })
  access_token!: string;

  @ApiProperty({ description: 'Opaque; single use. Exchange it at /auth/refresh for a new pair.' })
  refresh_token!: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  token_type!: 'Bearer';

  @ApiProperty({ type: 'integer', example: 900, description: 'Seconds until the access token expires.' })
  expires_in!: number;
}
