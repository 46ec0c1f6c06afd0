import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Paging } from '../common/pagination/pagination.js';
import { User } from '../users/user.entity.js';
import { ModelCallReservation } from './model-call-reservation.entity.js';
import { TODAY } from './usage.sql.js';

export const USAGE_GROUPS = ['day', 'agent_type', 'model', 'session'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

const GROUP_KEY: Record<UsageGroup, string> = {
  day: "to_char(day, 'YYYY-MM-DD')",
  agent_type: 'agent_type',
  model: "nullif(model, '')",
  session: 'session_id::text',
};

export const LEADERBOARD_ORDERS = ['total_tokens', 'prompt_tokens', 'completion_tokens', 'messages'] as const;
export type LeaderboardOrder = (typeof LEADERBOARD_ORDERS)[number];

export interface UsageTotals {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  messages: number;
}

export interface LeaderboardRow extends UsageTotals {
  user_id: string;
  email: string;
}

export type LeaderboardKey = [number, string];

export interface Spending {
  tokens: number;
  user_messages: number;
  calls_in_flight: number;
  tokens_reserved: number;
}

const SUMS = `coalesce(sum(prompt_tokens), 0)::bigint AS prompt_tokens,
              coalesce(sum(completion_tokens), 0)::bigint AS completion_tokens,
              coalesce(sum(prompt_tokens + completion_tokens), 0)::bigint AS total_tokens,
              coalesce(sum(messages), 0)::bigint AS messages`;

@Injectable()
export class UsageRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Serialises quota decisions for one user (across instances) until the transaction ends; returns their own limits. */
  async lockQuota(
    manager: EntityManager,
    userId: string,
  ): Promise<{ daily_token_limit: number | null; daily_message_limit: number | null } | null> {
    // The user's row, as the session limit locks it (SessionsRepository.lockOwner): one lock per user.
    const [row] = await manager.query('SELECT daily_token_limit, daily_message_limit FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
    return row ?? null;
  }

  async ownLimits(
    userId: string,
    manager = this.dataSource.manager,
  ): Promise<{ daily_token_limit: number | null; daily_message_limit: number | null } | null> {
    const user = await manager.findOne(User, { select: { dailyTokenLimit: true, dailyMessageLimit: true }, where: { id: userId } });
    return user && { daily_token_limit: user.dailyTokenLimit, daily_message_limit: user.dailyMessageLimit };
  }

  /**
   * Today's spending (UTC day) and the model calls in flight with their reserved tokens; inside a quota
   * transaction this runs after lockQuota and sees every earlier commit.
   */
  async usedToday(userId: string, manager = this.dataSource.manager): Promise<Spending> {
    const [row] = await manager.query(
      `SELECT u.tokens, u.user_messages, r.calls_in_flight, r.tokens_reserved
         FROM (SELECT coalesce(sum(prompt_tokens + completion_tokens), 0)::bigint AS tokens,
                      coalesce(sum(user_messages), 0)::bigint AS user_messages
                 FROM usage_daily WHERE user_id = $1 AND day = ${TODAY}) u,
              (SELECT count(*)::int AS calls_in_flight, coalesce(sum(tokens), 0)::bigint AS tokens_reserved
                 FROM model_call_reservations WHERE user_id = $1 AND expires_at > now()) r`,
      [userId],
    );
    return row;
  }

  /** Reserves `tokens` for a model call until the reply is stored, or until `ttlMs` passes if it never is. */
  async reserve(manager: EntityManager, userId: string, tokens: number, ttlMs: number): Promise<string> {
    const { raw } = await manager
      .createQueryBuilder()
      .insert()
      .into(ModelCallReservation)
      // The database's clock, like the expires_at > now() that counts the reservation.
      .values({ userId, tokens, expiresAt: () => `now() + interval '${Math.trunc(ttlMs)} milliseconds'` })
      .returning('id')
      .execute();
    return (raw as { id: string }[])[0].id;
  }

  /** Ends a reservation (and any of the user's that expired, left by a crashed instance). */
  async release(manager: EntityManager, userId: string, reservationId: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .delete()
      .from(ModelCallReservation)
      .where('user_id = :userId AND (id = :reservationId OR expires_at <= now())', { userId, reservationId })
      .execute();
  }

  async report(
    userId: string,
    from: string,
    to: string,
    groupBy: UsageGroup,
    manager = this.dataSource.manager,
  ): Promise<{ total: UsageTotals; buckets: (UsageTotals & { key: string | null })[] }> {
    const params = [userId, from, to];
    const range = 'WHERE user_id = $1 AND day BETWEEN $2::date AND $3::date';
    const order = groupBy === 'day' ? 'key ASC' : 'total_tokens DESC, messages DESC, key ASC';
    // One statement after the other: a request holds at most one pooled connection.
    const [total] = await manager.query(`SELECT ${SUMS} FROM usage_daily ${range}`, params);
    const buckets = await manager.query(
      `SELECT ${GROUP_KEY[groupBy]} AS key, ${SUMS} FROM usage_daily ${range} GROUP BY 1 ORDER BY ${order}`,
      params,
    );
    return { total, buckets };
  }

  /** Per agent type, from the user's visible sessions: one query whatever the number of sessions. */
  sessionStats(
    userId: string,
    manager = this.dataSource.manager,
  ): Promise<
    { agent_type: string; sessions: number; active: number; messages: number; tokens: number; most_recent: Date; oldest: Date }[]
  > {
    return manager.query(
      `SELECT agent_type, count(*)::int AS sessions, count(*) FILTER (WHERE is_active)::int AS active,
              sum(message_count)::bigint AS messages, sum(total_tokens)::bigint AS tokens,
              max(last_message_at) AS most_recent, min(created_at) AS oldest
         FROM chat_sessions WHERE user_id = $1 AND deleted_at IS NULL GROUP BY agent_type`,
      [userId],
    );
  }

  /** Per-user totals over a date range, largest first, keyset-pageable on (ordered total, user id). */
  async leaderboard(
    from: string,
    to: string,
    orderBy: LeaderboardOrder,
    paging: Paging<LeaderboardKey>,
    manager = this.dataSource.manager,
  ): Promise<{ rows: LeaderboardRow[]; total: number }> {
    const params: unknown[] = [from, to];
    const after =
      paging.mode === 'cursor'
        ? `WHERE (${orderBy}, user_id) < ($${params.push(paging.after[0])}, $${params.push(paging.after[1])}::uuid)`
        : '';
    const limit = `LIMIT $${params.push(paging.size + 1)}`;
    const offset = paging.mode === 'page' ? `OFFSET $${params.push(paging.offset)}` : '';
    // One statement after the other: a request holds at most one pooled connection.
    const rows: LeaderboardRow[] = await manager.query(
      `SELECT t.*, u.email FROM (
         SELECT user_id, ${SUMS} FROM usage_daily WHERE day BETWEEN $1::date AND $2::date GROUP BY user_id
       ) t JOIN users u ON u.id = t.user_id AND u.deleted_at IS NULL
       ${after}
       ORDER BY ${orderBy} DESC, user_id DESC ${limit} ${offset}`,
      params,
    );
    const [counted] = await manager.query(
      `SELECT count(*)::int AS total
         FROM (SELECT DISTINCT user_id FROM usage_daily WHERE day BETWEEN $1::date AND $2::date) t
         JOIN users u ON u.id = t.user_id AND u.deleted_at IS NULL`,
      [from, to],
    );
    return { rows, total: counted.total };
  }
}
