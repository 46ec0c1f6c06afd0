import { toMessageResponse, type MessageRow } from '../messages/message-row.js';
import { toSessionResponse } from '../sessions/dto/session-response.dto.js';
import { toUserResponse } from '../users/dto/user-response.dto.js';
import type { User } from '../users/user.entity.js';
import type { ExportRepository, ExportSessionRow, UsageLineRow, UsageRow } from './export.repository.js';
import { BEFORE_ALL_SESSIONS, BEFORE_ALL_USAGE, type SessionKey, type UsageKey } from './export.sql.js';

export const EXPORT_FORMAT_VERSION = 1;

/** One NDJSON line: `type` first, then the fields of the public response, in its order. */
function line(type: string, fields: object): string {
  return `${JSON.stringify({ type, ...fields })}\n`;
}

/**
 * Consecutive sessions whose messages (message_count, as read with the session) fit one statement of
 * `budget` rows together; a bigger session goes alone and is read in pages.
 */
export function chunkSessions<T extends { message_count: number }>(sessions: T[], budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let rows = 0;
  for (const session of sessions) {
    if (current.length > 0 && rows + session.message_count > budget) {
      chunks.push(current);
      current = [];
      rows = 0;
    }
    current.push(session);
    rows += session.message_count;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The export of one account as NDJSON text, one chunk per statement (about `batchSize` lines), produced
 * only as fast as it is consumed: the account, each visible session in (created_at, id) order followed by
 * its visible messages in seq order, then the usage rollup in (day, agent_type, model) order.
 */
export class ExportLines {
  constructor(
    private readonly repository: ExportRepository,
    private readonly user: User,
    private readonly batchSize: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    yield line('user', { version: EXPORT_FORMAT_VERSION, ...toUserResponse(this.user) });
    yield* this.sessions();
    yield* this.usage();
  }

  private async *sessions(): AsyncGenerator<string> {
    let after: SessionKey = BEFORE_ALL_SESSIONS;
    for (;;) {
      const sessions = await this.repository.sessions(this.user.id, after, this.batchSize);
      for (const chunk of chunkSessions(sessions, this.batchSize)) yield* this.chunk(chunk);
      if (sessions.length < this.batchSize) return;
      const last = sessions[sessions.length - 1];
      after = [last.created_at, last.id];
    }
  }

  /** Sessions and their messages from one statement; a session that filled its share is paged on by seq, up to its last_seq. */
  private async *chunk(sessions: ExportSessionRow[]): AsyncGenerator<string> {
    const ranges = sessions.map((s) => ({ id: s.id, after: 0, upto: s.last_seq }));
    const rows = await this.repository.messages(this.user.id, ranges, this.batchSize);
    let text = '';
    let next = 0;
    for (const [index, session] of sessions.entries()) {
      const own: MessageRow[] = [];
      while (next < rows.length && rows[next].ord === index + 1) own.push(rows[next++]);
      text += line('session', toSessionResponse(session)) + messageLines(own);
      const lastSeq = own.at(-1)?.seq ?? session.last_seq;
      if (own.length === this.batchSize && lastSeq < session.last_seq) {
        yield text;
        text = '';
        yield* this.restOf(session, lastSeq);
      }
    }
    if (text) yield text;
  }

  private async *restOf(session: ExportSessionRow, afterSeq: number): AsyncGenerator<string> {
    for (let after = afterSeq; ;) {
      const rows = await this.repository.messages(this.user.id, [{ id: session.id, after, upto: session.last_seq }], this.batchSize);
      if (rows.length > 0) yield messageLines(rows);
      after = rows.at(-1)?.seq ?? session.last_seq;
      if (rows.length < this.batchSize || after >= session.last_seq) return;
    }
  }

  private async *usage(): AsyncGenerator<string> {
    let after: UsageKey = BEFORE_ALL_USAGE;
    for (;;) {
      const rows = await this.repository.usage(this.user.id, after, this.batchSize);
      if (rows.length > 0) yield rows.map((row) => line('usage', toUsageLine(row))).join('');
      if (rows.length < this.batchSize) return;
      const last = rows[rows.length - 1];
      after = [last.date, last.agent_type, last.model_key];
    }
  }
}

/** The line's fields one by one, like the response mappers: a new column of the rollup cannot leak. */
function toUsageLine(row: UsageRow): UsageLineRow {
  return {
    date: row.date,
    agent_type: row.agent_type,
    model: row.model,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    total_tokens: row.total_tokens,
    messages: row.messages,
  };
}

function messageLines(rows: MessageRow[]): string {
  let text = '';
  for (const row of rows) text += line('message', toMessageResponse(row));
  return text;
}
