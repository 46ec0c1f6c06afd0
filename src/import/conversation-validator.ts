import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { ProblemException, type FieldError } from '../common/problem/problem.js';
import { lonelySurrogates } from '../common/validation/input-shape.js';
import { StrictValidationPipe } from '../common/validation/validation.pipe.js';
import { ImportMessageLineDto, ImportSessionLineDto, ImportUsageLineDto } from './dto/import-lines.dto.js';
import type { RawConversation } from './import-items.js';
import { ConversationRefused } from './import.errors.js';
import type { ImportedConversation, ImportedMessage } from './import.sql.js';

/** A refusal names at most this many fields, so the report's size does not grow with a bad line's. */
const ERRORS_PER_REASON = 3;

/**
 * Checks a conversation as the routes that write the same fields would (the same validation pipe, the same
 * configured limits), plus what makes it one conversation: every message of the session, seq strictly
 * increasing, no message id twice. Anything wrong refuses the whole conversation.
 */
@Injectable()
export class ConversationValidator {
  private readonly pipe = new StrictValidationPipe();

  constructor(private readonly config: ConfigService<EnvironmentVariables, true>) {}

  async conversation(raw: RawConversation): Promise<ImportedConversation> {
    const session = await this.line(raw.session, ImportSessionLineDto, 'the session');
    const messages: ImportedMessage[] = [];
    const ids = new Set<string>();
    for (const [i, value] of raw.messages.entries()) {
      const message = await this.line(value, ImportMessageLineDto, `message ${i + 1}`);
      const problem = this.messageProblem(message, session.id, messages.at(-1)?.seq ?? 0, ids);
      if (problem) throw new ConversationRefused(`message ${i + 1}: ${problem}`);
      ids.add(message.id);
      messages.push(toImportedMessage(message));
    }
    const problem = this.sessionProblem(session);
    if (problem) throw new ConversationRefused(`the session: ${problem}`);
    return toImportedConversation(session, messages);
  }

  async usage(value: Record<string, unknown>): Promise<void> {
    await this.line(value, ImportUsageLineDto, 'usage');
  }

  private async line<T extends object>(value: unknown, dto: new () => T, what: string): Promise<T> {
    const surrogates = lonelySurrogates(value, '(line)');
    if (surrogates.length > 0) throw refusal(what, surrogates);
    try {
      return (await this.pipe.transform(value, { type: 'body', metatype: dto })) as T;
    } catch (error) {
      if (error instanceof ProblemException && error.code === 'validation_failed') throw refusal(what, error.extras.errors ?? []);
      throw error;
    }
  }

  private messageProblem(message: ImportMessageLineDto, sessionId: string, previousSeq: number, ids: Set<string>): string | null {
    const maxLength = this.config.get('CHAT_MESSAGE_MAX_LENGTH', { infer: true });
    if (message.session_id !== sessionId) return 'session_id must be the id of the session line before it';
    if (message.seq <= previousSeq) return 'seq must be greater than the seq of the message before it';
    if (ids.has(message.id)) return 'id appears twice in this conversation';
    if (message.content.length > maxLength) return `content must be at most ${maxLength} characters (CHAT_MESSAGE_MAX_LENGTH)`;
    return this.agentTypeProblem(message.agent_type);
  }

  private sessionProblem(session: ImportSessionLineDto): string | null {
    const maxTitle = this.config.get('CHAT_TITLE_MAX_LENGTH', { infer: true });
    if (session.title !== null && session.title.length > maxTitle) return `title must be at most ${maxTitle} characters`;
    if (session.last_message_preview !== null && Array.from(session.last_message_preview).length > 200)
      return 'last_message_preview must be at most 200 characters';
    if (session.is_active !== undefined && session.is_active !== (session.deactivated_reason === null))
      return 'deactivated_reason must be null exactly when is_active is true';
    return this.agentTypeProblem(session.agent_type);
  }

  private agentTypeProblem(agentType: string): string | null {
    const agentTypes = this.config.get('AGENT_TYPES', { infer: true });
    return agentTypes.includes(agentType) ? null : `agent_type must be one of: ${agentTypes.join(', ')}`;
  }
}

function refusal(what: string, errors: FieldError[]): ConversationRefused {
  const listed = errors
    .slice(0, ERRORS_PER_REASON)
    .map((error) => (error.message.includes(error.field) ? error.message : `${error.field} ${error.message}`));
  const more = errors.length > ERRORS_PER_REASON ? ` (and ${errors.length - ERRORS_PER_REASON} more)` : '';
  return new ConversationRefused(`${what}: ${listed.join('; ')}${more}`);
}

function toImportedMessage(line: ImportMessageLineDto): ImportedMessage {
  return {
    id: line.id,
    seq: line.seq,
    role: line.role,
    content: line.content,
    agentType: line.agent_type,
    model: line.model,
    metadata: line.metadata,
    promptTokens: line.prompt_tokens,
    completionTokens: line.completion_tokens,
    createdAt: line.created_at,
    updatedAt: line.updated_at,
  };
}

/** Exported inactive: its reason stays. Exported active (or from ChatGPT): inactive as `imported`. */
function toImportedConversation(line: ImportSessionLineDto, messages: ImportedMessage[]): ImportedConversation {
  return {
    id: line.id,
    title: line.title,
    agentType: line.agent_type,
    projectId: line.project_id,
    metadata: line.metadata,
    deactivatedReason: line.is_active === false && line.deactivated_reason ? line.deactivated_reason : 'imported',
    createdAt: line.created_at,
    updatedAt: line.updated_at,
    lastMessageAt: line.last_message_at,
    lastMessagePreview: line.last_message_preview,
    messages,
  };
}
