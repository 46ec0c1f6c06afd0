import { ApiProperty } from '@nestjs/swagger';
import { FilterablePageOf, PageOf } from '../../common/pagination/page.dto.js';
import { TokenCountsDto } from '../../usage/dto/usage-response.dto.js';
import { MESSAGE_ROLES, type MessageRole } from '../message.entity.js';
import { SEARCH_ORDERS, type SearchOrder } from '../search.sql.js';

export class MessageResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  session_id!: string;

  @ApiProperty({
    type: 'integer',
    example: 7,
    description: '1, 2, 3 … in append order within the session; never reused until the history is cleared.',
  })
  seq!: number;

  @ApiProperty({ enum: MESSAGE_ROLES })
  role!: MessageRole;

  @ApiProperty({ example: 'Why does the nightly import fail on Sundays?' })
  content!: string;

  @ApiProperty({ example: 'primary' })
  agent_type!: string;

  @ApiProperty({ type: String, nullable: true, example: 'gpt-4o-mini' })
  model!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  metadata!: Record<string, unknown>;

  @ApiProperty({ type: 'integer', nullable: true, example: 812 })
  prompt_tokens!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 164 })
  completion_tokens!: number | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class MessagePageDto extends FilterablePageOf(MessageResponseDto) {}

export class MessageBatchResponseDto {
  @ApiProperty({ type: [MessageResponseDto], description: 'In seq order.' })
  data!: MessageResponseDto[];
}

export class SearchHitDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  session_id!: string;

  @ApiProperty({ type: String, nullable: true })
  session_title!: string | null;

  @ApiProperty({ type: 'integer', example: 3 })
  seq!: number;

  @ApiProperty({ enum: MESSAGE_ROLES })
  role!: MessageRole;

  @ApiProperty({ example: 'primary' })
  agent_type!: string;

  @ApiProperty({ example: 'the nightly <mark>import</mark> <mark>fails</mark> because…', description: 'Matches wrapped in <mark>.' })
  snippet!: string;

  @ApiProperty({ example: 0.0759, description: 'Relevance (ts_rank). Hits come best first when `order` is `rank`.' })
  rank!: number;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;
}

export class SearchPageDto extends PageOf(SearchHitDto) {
  @ApiProperty({
    example: false,
    description:
      'false: `total` is the exact number of matches. true: more than SEARCH_EXACT_TOTAL_LIMIT (default 1000) messages match, ' +
      'and `total` is an estimate (at least that limit + 1).',
  })
  total_is_estimate!: boolean;

  @ApiProperty({
    enum: SEARCH_ORDERS,
    example: 'rank',
    description:
      '`rank`: best first (at most SEARCH_EXACT_TOTAL_LIMIT matches, all ranked). `newest`: newest first, when more match, ' +
      'since ranking them all would read every match. A cursor walk keeps the order of its first page.',
  })
  order!: SearchOrder;
}

export class SessionStatsDto extends TokenCountsDto {
  @ApiProperty({ type: 'integer', example: 12 })
  message_count!: number;

  @ApiProperty({
    example: { user: 6, assistant: 6 },
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Messages per role; roles without messages are left out.',
  })
  messages_by_role!: Partial<Record<MessageRole, number>>;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'created_at of the oldest message in the history; null while it is empty.',
  })
  first_message_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      "The session's last_message_at: when a message was last appended (deleting that message does not move it back); null while the history is empty.",
  })
  last_message_at!: string | null;

  @ApiProperty({ example: 754.2, description: 'From first_message_at to last_message_at; 0 while the history is empty.' })
  duration_seconds!: number;
}
