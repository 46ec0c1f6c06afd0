import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource, type EntityManager } from 'typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import type { AuthUser } from '../common/auth/auth-user.js';
import { LagTolerantReads } from '../database/lag-tolerant-reads.js';
import { Pagination, type FilterablePage } from '../common/pagination/pagination.js';
import { parseMetadataFilter } from '../common/validation/metadata-filter.js';
import { validationFailed, type FieldError } from '../common/problem/problem.js';
import { ErasuresService } from '../erasure/erasures.service.js';
import { SessionCounters } from '../sessions/session-counters.js';
import { sessionInactive, sessionNotFound } from '../sessions/session.errors.js';
import type { CreateMessageDto, ListMessagesQueryDto, SearchMessagesQueryDto, UpdateMessageDto } from './dto/message-request.dto.js';
import type { MessageResponseDto, SearchHitDto, SearchPageDto, SessionStatsDto } from './dto/message-response.dto.js';
import { toMessageResponse, type MessageRow } from './message-row.js';
import { QuotaService } from '../usage/quota.service.js';
import { messageNotFound } from './message.errors.js';
import { MessagesRepository, type AppendResult, type SearchRow } from './messages.repository.js';
import type { AppendOptions, NewMessage, NotStoredReason } from './messages.sql.js';
import type { SearchKey, SearchOrder } from './search.sql.js';

const HISTORY_PAGE = { defaultSize: 50, maxSize: 200 };
const SEARCH_PAGE = { defaultSize: 20, maxSize: 100 };

const isSeqKey = (key: unknown): key is [number] => Array.isArray(key) && key.length === 1 && Number.isInteger(key[0]);
/** The key shapes of SearchKey; within one session `newest` continues by seq. */
const searchKeyOf =
  (bySession: boolean) =>
  (key: unknown): key is SearchKey => {
    if (!Array.isArray(key)) return false;
    const [order, first, second] = key as unknown[];
    if (order === 'rank') return key.length === 3 && typeof first === 'number' && Number.isFinite(first) && typeof second === 'string';
    if (order !== 'newest') return false;
    if (bySession) return key.length === 2 && Number.isInteger(first);
    return key.length === 3 && typeof first === 'string' && !Number.isNaN(Date.parse(first)) && typeof second === 'string';
  };

function hitKey(order: SearchOrder, bySession: boolean, row: SearchRow): SearchKey {
  if (order === 'rank') return ['rank', row.rank, row.id];
  return bySession ? ['newest', row.seq] : ['newest', row.created_at.toISOString(), row.id];
}

@Injectable()
export class MessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly sessions: SessionCounters,
    private readonly pagination: Pagination,
    private readonly dataSource: DataSource,
    private readonly quota: QuotaService,
    private readonly config: ConfigService<EnvironmentVariables, true>,
    private readonly reads: LagTolerantReads,
    private readonly erasures: ErasuresService,
  ) {}

  async append(user: AuthUser, sessionId: string, dto: CreateMessageDto): Promise<MessageResponseDto> {
    const [row] = await this.store(user, sessionId, [dto], (i, field) => field);
    return toMessageResponse(row);
  }

  /** 1..100 messages, numbered consecutively, all or nothing. */
  async appendBatch(user: AuthUser, sessionId: string, dtos: CreateMessageDto[]): Promise<{ data: MessageResponseDto[] }> {
    const rows = await this.store(user, sessionId, dtos, (i, field) => `messages[${i}].${field}`);
    return { data: rows.map(toMessageResponse) };
  }

  async history(user: AuthUser, sessionId: string, query: ListMessagesQueryDto): Promise<FilterablePage<MessageResponseDto>> {
    const order = query.order ?? 'asc';
    const metadata = parseMetadataFilter(query.metadata);
    const scope = JSON.stringify(['messages', sessionId, order, query.role ?? null, ...(metadata ? [metadata] : [])]);
    const maxDepth = this.config.get('HISTORY_MAX_PAGE_DEPTH', { infer: true });
    const paging = this.pagination.resolve(query, { ...HISTORY_PAGE, maxDepth }, scope, isSeqKey);
    const exactLimit = this.config.get('METADATA_EXACT_TOTAL_LIMIT', { infer: true });
    const filters = { role: query.role, metadata };
    const page = await this.messages.page(user.id, sessionId, filters, order, paging, exactLimit);
    if (!page) throw sessionNotFound();
    const envelope = this.pagination.envelope(page.rows, paging, page.total.total, scope, (row): [number] => [row.seq], toMessageResponse);
    return { ...envelope, total_is_estimate: page.total.isEstimate };
  }

  /** The latest messages of a session the caller owns, oldest first (for GET /sessions/{id}). */
  async latest(user: AuthUser, sessionId: string, limit: number, manager?: EntityManager): Promise<MessageResponseDto[]> {
    return (await this.messages.latest(user.id, sessionId, limit, manager)).map(toMessageResponse);
  }

  async get(user: AuthUser, id: string): Promise<MessageResponseDto> {
    const row = await this.messages.find(user.id, id);
    if (!row) throw messageNotFound();
    return toMessageResponse(row);
  }

  async update(user: AuthUser, id: string, dto: UpdateMessageDto): Promise<MessageResponseDto> {
    if (dto.content !== undefined) this.assertValid([{ content: dto.content }], (_, field) => field);
    return this.dataSource.transaction(async (tx) => {
      const session = await this.sessions.lockHolding(tx, user.id, id);
      if (!session) throw messageNotFound();
      const row = await this.messages.update(tx, user.id, id, dto);
      if (dto.content !== undefined && row.seq === session.last_seq)
        await this.sessions.setPreview(tx, user.id, session.session_id, row.content);
      return toMessageResponse(row);
    });
  }

  /** Deletes one message; the session's counters and preview follow. Its seq is not reused. */
  async remove(user: AuthUser, id: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const session = await this.sessions.lockHolding(tx, user.id, id);
      if (!session) throw messageNotFound();
      const deleted = await this.messages.delete(tx, user.id, id);
      await this.sessions.messageDeleted(tx, user.id, session.session_id, deleted);
    });
  }

  /** Hides the whole history at once (see SessionCounters.historyCleared) and queues its erasure. */
  async clear(user: AuthUser, sessionId: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      if (!(await this.sessions.lock(tx, user.id, sessionId))) throw sessionNotFound();
      const floor = await this.sessions.historyCleared(tx, user.id, sessionId);
      if (floor > 0) await this.erasures.queueHistory(tx, user.id, sessionId, floor);
    });
    this.erasures.started();
  }

  /** One read of the counters on the session row, whatever the history's size. */
  async stats(user: AuthUser, sessionId: string): Promise<SessionStatsDto> {
    const counts = await this.sessions.stats(user.id, sessionId);
    if (!counts) throw sessionNotFound();
    // The session's last_message_at is when a message was last appended; an empty history has neither time.
    const first = counts.firstMessageAt;
    const last = counts.messageCount > 0 ? counts.lastMessageAt : null;
    return {
      message_count: counts.messageCount,
      messages_by_role: Object.fromEntries(Object.entries(counts.byRole).filter(([, count]) => count > 0)),
      prompt_tokens: counts.promptTokens,
      completion_tokens: counts.completionTokens,
      total_tokens: counts.promptTokens + counts.completionTokens,
      first_message_at: first?.toISOString() ?? null,
      last_message_at: last?.toISOString() ?? null,
      duration_seconds: first && last ? (last.getTime() - first.getTime()) / 1000 : 0,
    };
  }

  async search(user: AuthUser, query: SearchMessagesQueryDto): Promise<SearchPageDto> {
    const filters = { sessionId: query.session_id, agentType: query.agent_type, role: query.role };
    const bySession = filters.sessionId !== undefined;
    const scope = JSON.stringify(['search', query.q, filters]);
    const paging = this.pagination.resolve(query, SEARCH_PAGE, scope, searchKeyOf(bySession));
    // A page skips the earlier hits one by one, so `page` mode has a floor it cannot go past.
    const maxDepth = this.config.get('SEARCH_MAX_PAGE_DEPTH', { infer: true });
    if (paging.mode === 'page' && paging.offset + paging.size > maxDepth) {
      throw validationFailed([
        { field: 'page', message: `page × page_size must not exceed ${maxDepth}; page deeper with cursor (next_cursor)` },
      ]);
    }
    const language = this.config.get('SEARCH_LANGUAGE', { infer: true });
    const exactLimit = this.config.get('SEARCH_EXACT_TOTAL_LIMIT', { infer: true });
    const result = await this.reads.run((manager) =>
      this.messages.search(user.id, language, query.q, filters, paging, exactLimit, manager),
    );
    const keyOf = (row: SearchRow) => hitKey(result.order, bySession, row);
    const envelope = this.pagination.envelope(result.rows, paging, result.total, scope, keyOf, toSearchHit);
    return { ...envelope, total_is_estimate: result.totalIsEstimate, order: result.order };
  }

  private async store(
    user: AuthUser,
    sessionId: string,
    dtos: CreateMessageDto[],
    fieldName: (index: number, field: string) => string,
  ): Promise<MessageRow[]> {
    this.assertValid(dtos, fieldName);
    const messages = dtos.map(toNewMessage);
    const userMessages = messages.filter((m) => m.role === 'user').length;
    // Fast path, one statement: no quota can apply (it steps aside for a user with limits of their own).
    let result: AppendResult =
      userMessages > 0 && this.quota.defaultsInForce()
        ? { stored: null, reason: 'quota_path' }
        : await this.messages.append(user.id, sessionId, messages, { unlessUserHasLimits: userMessages > 0 });
    if (!result.stored && result.reason === 'quota_path') {
      result = await this.dataSource.transaction(async (tx) => {
        await this.quota.reserve(tx, user.id, userMessages);
        return this.messages.append(user.id, sessionId, messages, { manager: tx });
      });
    }
    if (!result.stored) throw notStored(result.reason);
    return result.stored;
  }

  /**
   * For callers that own the transaction and the quota decision (the chat turn): validates and appends
   * inside `manager`, or throws the session's 404/409.
   */
  async appendIn(manager: EntityManager, user: AuthUser, sessionId: string, dto: CreateMessageDto, options: AppendOptions = {}) {
    this.assertValid([dto], (_, field) => field);
    const result = await this.messages.append(user.id, sessionId, [toNewMessage(dto)], { manager, ...options });
    if (!result.stored) throw notStored(result.reason);
    return toMessageResponse(result.stored[0]);
  }

  /** Rules that depend on configuration, reported per field like any validation error. */
  private assertValid(messages: { content?: string; agent_type?: string }[], fieldName: (index: number, field: string) => string): void {
    const maxLength = this.config.get('CHAT_MESSAGE_MAX_LENGTH', { infer: true });
    const agentTypes = this.config.get('AGENT_TYPES', { infer: true });
    const errors: FieldError[] = [];
    messages.forEach((message, i) => {
      if (message.content !== undefined && message.content.length > maxLength) {
        errors.push({ field: fieldName(i, 'content'), message: `content must be at most ${maxLength} characters` });
      }
      if (message.agent_type !== undefined && !agentTypes.includes(message.agent_type)) {
        errors.push({ field: fieldName(i, 'agent_type'), message: `agent_type must be one of: ${agentTypes.join(', ')}` });
      }
    });
    if (errors.length > 0) throw validationFailed(errors);
  }
}

/** The session's 404 or 409. Only a caller that asked the append to step aside for quotas gets 'quota_path', and store() takes that path. */
function notStored(reason: NotStoredReason) {
  if (reason === 'quota_path') throw new Error('The append stepped aside for the quota path, which its caller did not take');
  return reason === 'inactive' ? sessionInactive() : sessionNotFound();
}

function toNewMessage(dto: CreateMessageDto): NewMessage {
  return {
    role: dto.role,
    content: dto.content,
    agentType: dto.agent_type ?? null,
    model: dto.model ?? null,
    metadata: dto.metadata ?? {},
    promptTokens: dto.usage?.prompt_tokens ?? null,
    completionTokens: dto.usage?.completion_tokens ?? null,
  };
}

function toSearchHit(row: SearchRow): SearchHitDto {
  return { ...row, created_at: row.created_at.toISOString() };
}
