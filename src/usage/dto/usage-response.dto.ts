import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageOf } from '../../common/pagination/page.dto.js';

export class TokenCountsDto {
  @ApiProperty({ type: 'integer', example: 2400 })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer', example: 1000 })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer', example: 3400 })
  total_tokens!: number;
}

export class UsageTotalsDto extends TokenCountsDto {
  @ApiProperty({ type: 'integer', example: 12, description: 'Every appended message, with or without token counts.' })
  messages!: number;
}

export class UsageBucketDto extends UsageTotalsDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-11-22',
    description: 'The day (YYYY-MM-DD), agent type, model (null when messages named none) or session id.',
  })
  key!: string | null;
}

export class UsageReportDto {
  @ApiProperty({ type: UsageTotalsDto })
  total!: UsageTotalsDto;

  @ApiProperty({
    type: [UsageBucketDto],
    description: 'Days in order; agent types and models largest first; sessions one page at a time, in session id order.',
  })
  buckets!: UsageBucketDto[];

  @ApiPropertyOptional({ type: 'integer', example: 100, description: 'Only with group_by=session: the page size used.' })
  page_size?: number;

  @ApiPropertyOptional({ example: true, description: 'Only with group_by=session: whether more sessions follow.' })
  has_more?: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Only with group_by=session: pass as `cursor` for the next page; null on the last page.',
  })
  next_cursor?: string | null;
}

export class UsageStatsDto {
  @ApiProperty({ format: 'uuid' })
  user_id!: string;

  @ApiProperty({ type: 'integer', example: 9 })
  total_sessions!: number;

  @ApiProperty({ type: 'integer', example: 5 })
  active_sessions!: number;

  @ApiProperty({ type: 'integer', example: 140 })
  total_messages!: number;

  @ApiProperty({ type: 'integer', example: 52000 })
  total_tokens!: number;

  @ApiProperty({ example: { primary: 5, research: 4 }, type: 'object', additionalProperties: { type: 'integer' } })
  sessions_by_agent_type!: Record<string, number>;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Latest activity (last_message_at) of any session.' })
  most_recent_session!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the oldest session was created.' })
  oldest_session!: string | null;
}

export class QuotaDto {
  @ApiProperty({ type: 'integer', nullable: true, example: 200000, description: 'null: unlimited.' })
  daily_token_limit!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 500, description: 'User messages per UTC day; null: unlimited.' })
  daily_message_limit!: number | null;

  @ApiProperty({ type: 'integer', example: 5120 })
  tokens_used_today!: number;

  @ApiProperty({ type: 'integer', example: 12, description: 'Your own role "user" messages today.' })
  messages_today!: number;

  @ApiProperty({ format: 'date-time', example: '2026-11-23T00:00:00.000Z' })
  resets_at!: string;
}

export class UserUsageDto extends UsageTotalsDto {
  @ApiProperty({ format: 'uuid' })
  user_id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ada@example.com',
    description: 'Null for an external user whose token had no email.',
  })
  email!: string | null;
}

export class UserUsagePageDto extends PageOf(UserUsageDto) {}
