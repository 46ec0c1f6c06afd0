import {
  Equals,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { IsJsonObject } from '../../common/validation/json-object.validator.js';
import { CONTENT_HARD_MAX, TOKENS_MAX } from '../../messages/dto/message-request.dto.js';
import { MESSAGE_ROLES, type MessageRole } from '../../messages/message.entity.js';
import { AGENT_TYPE_SHAPE, TITLE_HARD_MAX } from '../../sessions/dto/session-request.dto.js';
import { DEACTIVATED_REASONS, type DeactivatedReason } from '../../sessions/session.entity.js';

/*
 * The lines of the export format (see the export's response DTOs), validated as strictly as the routes that
 * write the same fields: unknown fields and unannounced nulls are refused (StrictValidationPipe), and the
 * limits that depend on configuration are checked by ConversationValidator. Fields the import derives or
 * ignores (user_id, message_count, total_tokens) are optional; it keeps nothing of them.
 */

const agentType = Matches(AGENT_TYPE_SHAPE, { message: 'agent_type must be one of the configured agent types' });
/** Far above any real history, and far enough below the integer column's end that appends can go on after it. */
export const IMPORT_SEQ_MAX = 1_000_000_000;
/** A nullable field that must still be present: ValidateIf lets null through, and nothing else unchecked. */
const nullable = ValidateIf((_, value) => value !== null);
const timestamp = IsISO8601(
  { strict: true, strictSeparator: true },
  { message: ({ property }) => `${property} must be an ISO 8601 timestamp` },
);

export class ImportSessionLineDto {
  @IsOptional()
  @Equals('session')
  type?: 'session';

  @IsUUID('all')
  id!: string;

  @IsOptional()
  @IsUUID('all')
  user_id?: string;

  @nullable
  @IsString()
  @Length(1, TITLE_HARD_MAX)
  title!: string | null;

  @IsString()
  @agentType
  agent_type!: string;

  @nullable
  @IsString()
  @MaxLength(100)
  project_id!: string | null;

  @IsOptional()
  @IsBoolean()
  is_active?: boolean;

  @nullable
  @IsOptional()
  @IsIn(DEACTIVATED_REASONS)
  deactivated_reason?: DeactivatedReason | null;

  @IsJsonObject()
  metadata!: Record<string, unknown>;

  @IsOptional()
  @IsInt()
  @Min(0)
  message_count?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  total_tokens?: number;

  /** 200 characters; a character may take two UTF-16 units, so the exact bound is checked by the validator. */
  @nullable
  @IsString()
  @MaxLength(400)
  last_message_preview!: string | null;

  @timestamp
  created_at!: string;

  @timestamp
  updated_at!: string;

  @timestamp
  last_message_at!: string;
}

export class ImportMessageLineDto {
  @IsOptional()
  @Equals('message')
  type?: 'message';

  @IsUUID('all')
  id!: string;

  @IsUUID('all')
  session_id!: string;

  @IsInt()
  @Min(1)
  @Max(IMPORT_SEQ_MAX)
  seq!: number;

  @IsIn(MESSAGE_ROLES)
  role!: MessageRole;

  @IsString()
  @Length(1, CONTENT_HARD_MAX)
  content!: string;

  @IsString()
  @agentType
  agent_type!: string;

  @nullable
  @IsString()
  @Length(1, 200)
  model!: string | null;

  @IsJsonObject()
  metadata!: Record<string, unknown>;

  @nullable
  @IsInt()
  @Min(0)
  @Max(TOKENS_MAX)
  prompt_tokens!: number | null;

  @nullable
  @IsInt()
  @Min(0)
  @Max(TOKENS_MAX)
  completion_tokens!: number | null;

  @timestamp
  created_at!: string;

  @timestamp
  updated_at!: string;
}

export class ImportUsageLineDto {
  @Equals('usage')
  type!: 'usage';

  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be YYYY-MM-DD' })
  date!: string;

  @IsString()
  @MaxLength(32)
  agent_type!: string;

  @nullable
  @IsString()
  @MaxLength(200)
  model!: string | null;

  @IsInt()
  @Min(0)
  prompt_tokens!: number;

  @IsInt()
  @Min(0)
  completion_tokens!: number;

  @IsInt()
  @Min(0)
  total_tokens!: number;

  @IsInt()
  @Min(0)
  messages!: number;
}
