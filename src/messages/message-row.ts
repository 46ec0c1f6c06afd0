import type { MessageResponseDto } from './dto/message-response.dto.js';
import type { MessageRole } from './message.entity.js';

/** A message as the SQL of this module selects it (MESSAGE_COLUMNS). Framework-free, like messages.sql.ts. */
export interface MessageRow {
  id: string;
  session_id: string;
  seq: number;
  role: MessageRole;
  content: string;
  agent_type: string;
  model: string | null;
  metadata: Record<string, unknown>;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: Date;
  updated_at: Date;
}

/** The only way a message leaves the service layer: fields listed one by one, so a new column cannot leak. */
export function toMessageResponse(row: MessageRow): MessageResponseDto {
  return {
    id: row.id,
    session_id: row.session_id,
    seq: row.seq,
    role: row.role,
    content: row.content,
    agent_type: row.agent_type,
    model: row.model,
    metadata: row.metadata,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
