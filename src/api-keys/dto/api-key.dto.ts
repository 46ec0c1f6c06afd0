import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  ValidateIf,
} from 'class-validator';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../common/auth/auth-user.js';
import { ApiPageSize, PageQueryDto } from '../../common/pagination/page-query.dto.js';
import { PageOf } from '../../common/pagination/page.dto.js';
import type { ApiKey } from '../api-key.entity.js';

const SCOPES_DESCRIPTION =
  '`act_as_user`: may send `X-On-Behalf-Of` and then acts as that user (role `user`) on every user route. ' +
  '`usage:read`: may read `GET /admin/usage` without acting for anyone.';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'support-backend', description: 'What the key is for; shown in the list.' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({
    enum: API_KEY_SCOPES,
    isArray: true,
    minItems: 1,
    uniqueItems: true,
    example: ['act_as_user'],
    description: SCOPES_DESCRIPTION,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayUnique()
  @IsIn(API_KEY_SCOPES, { each: true })
  scopes!: ApiKeyScope[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2027-06-30T00:00:00Z',
    description: 'When the key stops working (in the future); absent or null: never.',
  })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expires_at must be an ISO-8601 date-time' })
  expires_at?: string | null;
}

@ApiPageSize({ defaultSize: 10, maxSize: 100, configured: true })
export class ListApiKeysQueryDto extends PageQueryDto {}

export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid', example: '3f1c2b8e-9d4a-4e5f-8a7b-6c5d4e3f2a1b' })
  id!: string;

  @ApiProperty({ example: 'support-backend' })
  name!: string;

  @ApiProperty({ example: 'chs_Qm9vLWJh', description: 'The first characters of the key, to tell keys apart.' })
  prefix!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['act_as_user'] })
  scopes!: ApiKeyScope[];

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  expires_at!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'Set once revoked; a revoked key stays listed.',
  })
  revoked_at!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyResponseDto {
  @ApiProperty({
    example: 'chs_Qm9vLWJhci1iYXotcXV4LXF1dXgtY29yZ2UtZ3JhdWx0',
    description:
      'The key itself: shown only in this response, stored only as its SHA-256 digest. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
  })
  key!: string;
}

export class ApiKeyPageDto extends PageOf(ApiKeyResponseDto) {}

/** Fields listed one by one: the digest never leaves the service layer. */
export function toApiKeyResponse(key: ApiKey): ApiKeyResponseDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    expires_at: key.expiresAt?.toISOString() ?? null,
    created_at: key.createdAt.toISOString(),
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}
