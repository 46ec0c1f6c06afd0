import { ApiProperty } from '@nestjs/swagger';
import { FilterablePageOf } from '../../common/pagination/page.dto.js';
import { DEACTIVATED_REASONS, type DeactivatedReason } from '../session.entity.js';

/** A session as selected by SessionsRepository (SESSION_COLUMNS). */
export interface SessionRow {
  id: string;
  user_id: string;
  title: string | null;
  agent_type: string;
  project_id: string | null;
  is_active: boolean;
  deactivated_reason: DeactivatedReason | null;
  metadata: Record<string, unknown>;
  message_count: number;
  total_tokens: number;
  last_message_preview: string | null;
  created_at: Date;
  updated_at: Date;
  last_message_at: Date;
}

export class SessionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  user_id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Debugging the nightly import' })
  title!: string | null;

  @ApiProperty({ example: 'primary' })
  agent_type!: string;

  @ApiProperty({ type: String, nullable: true, example: 'proj-42' })
  project_id!: string | null;

  @ApiProperty({ example: true })
  is_active!: boolean;

  @ApiProperty({ enum: DEACTIVATED_REASONS, nullable: true, example: null, description: 'null while active.' })
  deactivated_reason!: DeactivatedReason | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { source: 'web' } })
  metadata!: Record<string, unknown>;

  @ApiProperty({ type: 'integer', example: 12 })
  message_count!: number;

  @ApiProperty({ type: 'integer', example: 3400 })
  total_tokens!: number;

  @ApiProperty({ type: String, nullable: true, description: 'First 200 characters of the latest message.' })
  last_message_preview!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  @ApiProperty({ format: 'date-time', description: 'Starts at created_at; moves with each appended message.' })
  last_message_at!: string;
}

export class SessionWithEvictionsDto extends SessionResponseDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: 'Sessions of the same agent type deactivated (reason "session_limit") to make room for this one.',
    example: [],
  })
  evicted_session_ids!: string[];
}

export class SessionPageDto extends FilterablePageOf(SessionResponseDto) {}

export class DeleteAllSessionsResponseDto {
  @ApiProperty({
    type: 'integer',
    example: 12,
    description: 'Sessions this request deleted: the visible ones (soft), or every one not already erased (permanent).',
  })
  deleted_sessions!: number;

  @ApiProperty({ type: 'integer', example: 340, description: 'Messages of those sessions (their message_count).' })
  deleted_messages!: number;

  @ApiProperty({ example: false, description: 'false: restorable one by one (POST /sessions/{id}/restore); true: gone for good.' })
  permanent!: boolean;
}

export function toSessionResponse(row: SessionRow): SessionResponseDto {
  return {
    id: row.id,
    user_id: row.user_id,
    title: row.title,
    agent_type: row.agent_type,
    project_id: row.project_id,
    is_active: row.is_active,
    deactivated_reason: row.deactivated_reason,
    metadata: row.metadata,
    message_count: row.message_count,
    total_tokens: row.total_tokens,
    last_message_preview: row.last_message_preview,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_message_at: row.last_message_at.toISOString(),
  };
}
