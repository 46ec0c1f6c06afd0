import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ApiPageSize, PageQueryDto } from '../../common/pagination/page-query.dto.js';
import { IsJsonObject } from '../../common/validation/json-object.validator.js';
import { MetadataFilterQuery } from '../../common/validation/metadata-filter.js';
import { MESSAGE_ROLES, type MessageRole } from '../message.entity.js';

/** CHAT_MESSAGE_MAX_LENGTH is checked by the service; this only bounds what is parsed. */
export const CONTENT_HARD_MAX = 1_000_000;
export const TOKENS_MAX = 100_000_000;
export const BATCH_MAX = 100;

export class TokenUsageDto {
  @ApiProperty({ type: 'integer', example: 812, minimum: 0, maximum: TOKENS_MAX })
  @IsInt()
  @Min(0)
  @Max(TOKENS_MAX)
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer', example: 164, minimum: 0, maximum: TOKENS_MAX })
  @IsInt()
  @Min(0)
  @Max(TOKENS_MAX)
  completion_tokens!: number;
}

export class CreateMessageDto {
  @ApiProperty({ enum: MESSAGE_ROLES, example: 'user' })
  @IsIn(MESSAGE_ROLES)
  role!: MessageRole;

  @ApiProperty({
    example: 'Why does the nightly import fail on Sundays?',
    minLength: 1,
    maxLength: 10_000,
    description: '1 to CHAT_MESSAGE_MAX_LENGTH (default 10000) characters.',
  })
  @IsString()
  @Length(1, CONTENT_HARD_MAX)
  content!: string;

  @ApiPropertyOptional({
    example: 'primary',
    pattern: '^[a-z][a-z0-9_]{0,31}$',
    description: "One of AGENT_TYPES. Default: the session's agent type.",
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,31}$/, { message: 'agent_type must be one of the configured agent types' })
  agent_type?: string;

  @ApiPropertyOptional({ example: 'gpt-4o-mini', minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  model?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { finish_reason: 'stop' },
    description: 'At most 16 KiB as JSON.',
  })
  @IsOptional()
  @IsJsonObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ type: TokenUsageDto, description: 'Tokens the model call that produced this message used; counted in usage.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => TokenUsageDto)
  usage?: TokenUsageDto;
}

export class CreateMessageBatchDto {
  @ApiProperty({ type: [CreateMessageDto], minItems: 1, maxItems: BATCH_MAX })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BATCH_MAX)
  @ValidateNested({ each: true })
  @Type(() => CreateMessageDto)
  messages!: CreateMessageDto[];
}

export class UpdateMessageDto {
  @ApiPropertyOptional({
    example: 'Corrected text',
    minLength: 1,
    maxLength: 10_000,
    description: 'Up to CHAT_MESSAGE_MAX_LENGTH (default 10000) characters.',
  })
  @IsOptional()
  @IsString()
  @Length(1, CONTENT_HARD_MAX)
  content?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Replaces the metadata object.' })
  @IsOptional()
  @IsJsonObject()
  metadata?: Record<string, unknown>;
}

@ApiPageSize({ defaultSize: 50, maxSize: 200 })
export class ListMessagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: MESSAGE_ROLES })
  @IsOptional()
  @IsIn(MESSAGE_ROLES)
  role?: MessageRole;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc', description: 'asc: oldest first.' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @MetadataFilterQuery('messages')
  metadata?: string;
}

@ApiPageSize({ defaultSize: 20, maxSize: 100 })
export class SearchMessagesQueryDto extends PageQueryDto {
  @ApiProperty({
    example: 'import failure',
    minLength: 1,
    maxLength: 500,
    description: 'Web-search syntax: words, "quoted phrases", OR, -excluded.',
  })
  @IsString()
  @Length(1, 500)
  q!: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all')
  session_id?: string;

  @ApiPropertyOptional({ example: 'primary', maxLength: 32 })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  agent_type?: string;

  @ApiPropertyOptional({ enum: MESSAGE_ROLES })
  @IsOptional()
  @IsIn(MESSAGE_ROLES)
  role?: MessageRole;
}
