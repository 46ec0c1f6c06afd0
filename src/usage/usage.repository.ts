import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Paging } from '../common/pagination/pagination.js';
import { User } from '../users/user.entity.js';
import { ModelCallReservation } from './model-call-reservation.entity.js';
import { coveringPeriods } from './usage-periods.js';
import { TODAY } from './usage.sql.js';

export const USAGE_GROUPS = ['day', 'agent_type', 'model', 'session'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

/** The groupings read from usage_daily_totals; `session` pages over usage_daily (see sessionReport). */
export type TotalsGroup = Exclude<UsageGroup, 'session'>;

const GROUP_KEY: Record<TotalsGroup, string> = {
  day: "to_char(day, 'YYYY-MM-DD')",
  agent_type: 'agent_type',
  model: "nullif(model, '')",
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
  email: string | null;
}

export type LeaderboardKey = [number, string];

export type UsageBucket = UsageTotals & { key: string | null };

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

const RANGE = 'WHERE user_id = $1 AND day BETWEEN $2::date AND $3::date';

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
                 FROM usage_daily_totals WHERE user_id = $1 AND day = ${TODAY}) u,
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

  /** The range's totals and its buckets, from the rollup: a few rows per day, however many sessions. */
  async report(
    userId: string,
    from: string,
    to: string,
    groupBy: TotalsGroup,
    manager = this.dataSource.manager,
  ): Promise<{ total: UsageTotals; buckets: UsageBucket[] }> {
    const params = [userId, from, to];
    const order = groupBy === 'day' ? 'key ASC' : 'total_tokens DESC, messages DESC, key ASC';
    // One statement after the other: a request holds at most one pooled connection.
    const total = await this.totals(userId, from, to, manager);
    const buckets = await manager.query(
      `SELECT ${GROUP_KEY[groupBy]} AS key, ${SUMS} FROM usage_daily_totals ${RANGE} GROUP BY 1 ORDER BY ${order}`,
      params,
    );
    return { total, buckets };
  }

  async totals(userId: string, from: string, to: string, manager = this.dataSource.manager): Promise<UsageTotals> {
    const [total] = await manager.query(`SELECT ${SUMS} FROM usage_daily_totals ${RANGE}`, [userId, from, to]);
    return total;
  }

  /**
   * One page of per-session buckets in session id order, keyset on the (user_id, session_id, day) index:
   * the index is walked from the cursor and stops after `size + 1` sessions, so any page costs what the
   * first one costs, however many sessions the user has.
   */
  sessionPage(
    userId: string,
    from: string,
    to: string,
    size: number,
    after: string | null,
    manager = this.dataSource.manager,
  ): Promise<UsageBucket[]> {
    const params: unknown[] = [userId, from, to, size + 1];
    const keyset = after === null ? '' : `AND session_id > $${params.push(after)}::uuid`;
    return manager.query(
      `SELECT session_id::text AS key, ${SUMS} FROM usage_daily ${RANGE} ${keyset}
        GROUP BY session_id ORDER BY session_id LIMIT $4`,
      params,
    );
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

  /**
   * Per-user totals over a date range, largest first, keyset-pageable on (ordered total, user id). The range
   * is read as its covering blocks of usage_periods (9 to 13 rows per user for 90 days) through the
   * (span_days, start_day) index; the count of users comes from the same aggregate, in the same statement.
   */
  async leaderboard(
    from: string,
    to: string,
    orderBy: LeaderboardOrder,
    paging: Paging<LeaderboardKey>,
    manager = this.dataSource.manager,
  ): Promise<{ rows: LeaderboardRow[]; total: number }> {
    const blocks = coveringPeriods(from, to);
    const params: unknown[] = [blocks[1], blocks[2], blocks[8], blocks[32]];
    const after =
      paging.mode === 'cursor'
        ? `WHERE (${orderBy}, user_id) < ($${params.push(paging.after[0])}, $${params.push(paging.after[1])}::uuid)`
        : '';
    const limit = `LIMIT $${params.push(paging.size + 1)}`;
    const offset = paging.mode === 'page' ? `OFFSET $${params.push(paging.offset)}` : '';
    const rows: (LeaderboardRow & { user_count: number })[] = await manager.query(
      `WITH per_user AS (
         SELECT user_id, ${SUMS} FROM usage_periods
          WHERE (span_days = 1 AND start_day = ANY($1::date[]))
             OR (span_days = 2 AND start_day = ANY($2::date[]))
             OR (span_days = 8 AND start_day = ANY($3::date[]))
             OR (span_days = 32 AND start_day = ANY($4::date[]))
          GROUP BY user_id
       )
       SELECT (SELECT count(*)::int FROM per_user t JOIN users u ON u.id = t.user_id AND u.deleted_at IS NULL) AS user_count, page.*
         FROM (SELECT) AS one LEFT JOIN LATERAL (
           SELECT t.*, u.email FROM per_user t JOIN users u ON u.id = t.user_id AND u.deleted_at IS NULL
           ${after}
           ORDER BY ${orderBy} DESC, user_id DESC ${limit} ${offset}
         ) page ON true`,
      params,
    );
    const total = rows[0]?.user_count ?? 0;
    return { rows: rows.filter((row) => row.user_id !== null).map(({ user_count: _, ...row }) => row), total };
  }
}
