import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { MessageRow } from '../messages/message-row.js';
import type { SessionRow } from '../sessions/dto/session-response.dto.js';
import { asUser } from '../database/row-security/row-security-context.js';
import { MESSAGES_SQL, SESSIONS_SQL, USAGE_SQL, type SessionKey, type UsageKey } from './export.sql.js';

export type ExportSessionRow = SessionRow & { last_seq: number };

export interface UsageLineRow {
  date: string;
  agent_type: string;
  model: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  messages: number;
}

export type UsageRow = UsageLineRow & { model_key: string };

/** Which messages of one session a batch asks for: seq in (after, upto]. */
export interface SessionRange {
  id: string;
  after: number;
  upto: number;
}

/** Thrown when the account was erased while its export ran: the stream is cut, not ended as if complete. */
export class AccountErasedDuringExport extends Error {
  override name = 'AccountErasedDuringExport';
}

/**
 * The export's reads (export.sql.ts). Each call is one statement on a connection taken from the pool and
 * given back at once (DataSource.query), so an export holds a connection only while a batch is read, never
 * while it waits for a slow client. Each runs as the exported user for row-level security (DATABASE_RLS):
 * the body is pulled by the socket, outside the request's async context, and an admin's export reads
 * another user's rows.
 */
@Injectable()
export class ExportRepository {
  constructor(private readonly dataSource: DataSource) {}

  sessions(userId: string, after: SessionKey, limit: number): Promise<ExportSessionRow[]> {
    return this.batch<ExportSessionRow>(userId, SESSIONS_SQL, [...after, limit], 'id');
  }

  /** Messages of the sessions in `ranges`, each row with its session's position there (`ord`, from 1), at most `limit` per session. */
  messages(userId: string, ranges: SessionRange[], limit: number): Promise<(MessageRow & { ord: number })[]> {
    const columns = [ranges.map((r) => r.id), ranges.map((r) => r.after), ranges.map((r) => r.upto)];
    return this.batch<MessageRow & { ord: number }>(userId, MESSAGES_SQL, [...columns, limit], 'id');
  }

  usage(userId: string, after: UsageKey, limit: number): Promise<UsageRow[]> {
    return this.batch<UsageRow>(userId, USAGE_SQL, [...after, limit], 'date');
  }

  /** The batch's rows ($1 is the user); `key` is a column no real row has null (the row of nulls is an empty batch). */
  private async batch<T>(userId: string, sql: string, params: unknown[], key: keyof T): Promise<T[]> {
    const rows: T[] = await asUser(userId, () => this.dataSource.query(sql, [userId, ...params]));
    if (rows.length === 0) throw new AccountErasedDuringExport('the account was erased while its export ran');
    return rows[0][key] === null ? [] : rows;
  }
}
