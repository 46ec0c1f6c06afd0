import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { ApiPageSize, PageQueryDto } from '../../common/pagination/page-query.dto.js';
import { IsJsonObject } from '../../common/validation/json-object.validator.js';
import { MetadataFilterQuery } from '../../common/validation/metadata-filter.js';
import { ToBoolean } from '../../common/validation/query-transforms.js';

/** Agent types come from AGENT_TYPES at run time; the service checks membership, the DTO only the shape. */
export const AGENT_TYPE_SHAPE = /^[a-z][a-z0-9_]{0,31}$/;
/** CHAT_TITLE_MAX_LENGTH is checked by the service; this is only an upper bound on what is parsed. */
export const TITLE_HARD_MAX = 10_000;

export class CreateSessionDto {
  @ApiPropertyOptional({
    example: 'Debugging the nightly import',
    minLength: 1,
    maxLength: 255,
    description: 'At most CHAT_TITLE_MAX_LENGTH (default 255) characters.',
  })
  @IsOptional()
  @IsString()
  @Length(1, TITLE_HARD_MAX)
  title?: string;

  @ApiPropertyOptional({ example: 'primary', pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'One of AGENT_TYPES. Default: primary.' })
  @IsOptional()
  @IsString()
  @Matches(AGENT_TYPE_SHAPE, { message: 'agent_type must be one of the configured agent types' })
  agent_type?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100, example: 'proj-42' })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsString()
  @MaxLength(100)
  project_id?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { source: 'web' }, description: 'At most 16 KiB as JSON.' })
  @IsOptional()
  @IsJsonObject()
  metadata?: Record<string, unknown>;
}

export class UpdateSessionDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'Renamed chat',
    minLength: 1,
    maxLength: 255,
    description: 'At most CHAT_TITLE_MAX_LENGTH (default 255) characters; null clears it.',
  })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsString()
  @Length(1, TITLE_HARD_MAX)
  title?: string | null;

  @ApiPropertyOptional({ description: 'false deactivates (reason "user"); true reactivates under the active-session limit.' })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Replaces the metadata object.' })
  @IsOptional()
  @IsJsonObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100 })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsString()
  @MaxLength(100)
  project_id?: string | null;
}

export const SESSION_ORDER_BY = ['last_message_at', 'created_at', 'updated_at'] as const;
export type SessionOrderBy = (typeof SESSION_ORDER_BY)[number];

@ApiPageSize({ defaultSize: 10, maxSize: 100, configured: true })
export class ListSessionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'primary', pattern: '^[a-z][a-z0-9_]{0,31}$' })
  @IsOptional()
  @IsString()
  @Matches(AGENT_TYPE_SHAPE, { message: 'agent_type must be one of the configured agent types' })
  agent_type?: string;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  project_id?: string;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the title.', minLength: 1, maxLength: 255 })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  search?: string;

  @MetadataFilterQuery('sessions')
  metadata?: string;

  @ApiPropertyOptional({ enum: SESSION_ORDER_BY, default: 'last_message_at' })
  @IsOptional()
  @IsIn(SESSION_ORDER_BY)
  order_by?: SessionOrderBy;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

export class GetSessionQueryDto {
  @ApiPropertyOptional({ type: Boolean, default: true })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  include_messages?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 200,
    default: 50,
    description: 'How many of the latest messages to include.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  message_limit?: number;
}

export class DeleteSessionQueryDto {
  @ApiPropertyOptional({ type: Boolean, default: false, description: 'true deletes the session and its messages for good.' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  permanent?: boolean;
}

export class DeleteAllSessionsQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    description: 'Must be true: without it the request is refused (400 confirmation_required) and nothing is deleted.',
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  confirm?: boolean;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'true deletes every session (soft-deleted ones too) and its messages for good; default: soft delete, restorable.',
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  permanent?: boolean;
}
