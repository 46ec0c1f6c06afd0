import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user.js';
import { LagTolerantReads } from '../database/lag-tolerant-reads.js';
import { Pagination, type PageEnvelope } from '../common/pagination/pagination.js';
import { validationFailed } from '../common/problem/problem.js';
import { resolveDateRange } from './date-range.js';
import { SESSION_BUCKETS_PAGE, type AdminUsageQueryDto, type UsageQueryDto } from './dto/usage-request.dto.js';
import type { UsageReportDto, UsageStatsDto, UserUsageDto } from './dto/usage-response.dto.js';
import { UsageRepository, type LeaderboardKey, type LeaderboardRow } from './usage.repository.js';
import { asSystem } from '../database/row-security/row-security-context.js';

const LEADERBOARD_PAGE = { defaultSize: 20, maxSize: 100 };

const isSessionKey = (key: unknown): key is [string] => Array.isArray(key) && key.length === 1 && typeof key[0] === 'string';

const isLeaderboardKey = (key: unknown): key is LeaderboardKey =>
  Array.isArray(key) && key.length === 2 && Number.isInteger(key[0]) && typeof key[1] === 'string';

@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly pagination: Pagination,
    private readonly reads: LagTolerantReads,
  ) {}

  async report(user: AuthUser, query: UsageQueryDto): Promise<UsageReportDto> {
    const { from, to } = resolveDateRange(query);
    const groupBy = query.group_by ?? 'day';
    if (groupBy === 'session') return this.sessionReport(user, from, to, query);
    const paged = (['cursor', 'page_size'] as const).filter((field) => query[field] !== undefined);
    if (paged.length) throw validationFailed(paged.map((field) => ({ field, message: 'pages group_by=session only' })));
    return this.reads.run((manager) => this.usage.report(user.id, from, to, groupBy, manager));
  }

  /** The range's totals and one page of its sessions; the cursor belongs to this user's range. */
  private async sessionReport(user: AuthUser, from: string, to: string, query: UsageQueryDto): Promise<UsageReportDto> {
    const scope = JSON.stringify(['usage-sessions', user.id, from, to]);
    const paging = this.pagination.resolve(query, SESSION_BUCKETS_PAGE, scope, isSessionKey);
    const after = paging.mode === 'cursor' ? paging.after[0] : null;
    // One statement after the other: a request holds at most one pooled connection.
    const { total, rows } = await this.reads.run(async (manager) => ({
      total: await this.usage.totals(user.id, from, to, manager),
      rows: await this.usage.sessionPage(user.id, from, to, paging.size, after, manager),
    }));
    const { data, page_size, has_more, next_cursor } = this.pagination.envelope(
      rows,
      paging,
      0,
      scope,
      (row) => [row.key!],
      (row) => row,
    );
    return { total, buckets: data, page_size, has_more, next_cursor };
  }

  async stats(user: AuthUser): Promise<UsageStatsDto> {
    const rows = await this.reads.run((manager) => this.usage.sessionStats(user.id, manager));
    const sum = (pick: (row: (typeof rows)[number]) => number) => rows.reduce((total, row) => total + pick(row), 0);
    const latest = rows.length ? Math.max(...rows.map((row) => row.most_recent.getTime())) : null;
    const oldest = rows.length ? Math.min(...rows.map((row) => row.oldest.getTime())) : null;
    return {
      user_id: user.id,
      total_sessions: sum((row) => row.sessions),
      active_sessions: sum((row) => row.active),
      total_messages: sum((row) => row.messages),
      total_tokens: sum((row) => row.tokens),
      sessions_by_agent_type: Object.fromEntries(rows.map((row) => [row.agent_type, row.sessions])),
      most_recent_session: latest === null ? null : new Date(latest).toISOString(),
      oldest_session: oldest === null ? null : new Date(oldest).toISOString(),
    };
  }

  async leaderboard(query: AdminUsageQueryDto): Promise<PageEnvelope<UserUsageDto>> {
    const { from, to } = resolveDateRange(query);
    const orderBy = query.order_by ?? 'total_tokens';
    const scope = JSON.stringify(['admin-usage', from, to, orderBy]);
    const paging = this.pagination.resolve(query, LEADERBOARD_PAGE, scope, isLeaderboardKey);
    // Every user's totals, for an admin (RolesGuard): the one usage read that crosses users.
    const { rows, total } = await asSystem('admin usage leaderboard', () =>
      this.reads.run((manager) => this.usage.leaderboard(from, to, orderBy, paging, manager)),
    );
    return this.pagination.envelope(rows, paging, total, scope, (row): LeaderboardKey => [row[orderBy], row.user_id], toUserUsage);
  }
}

function toUserUsage(row: LeaderboardRow): UserUsageDto {
  return {
    user_id: row.user_id,
    email: row.email,
    prompt_tokens: row.prompt_tokens,
    completion_tokens: row.completion_tokens,
    total_tokens: row.total_tokens,
    messages: row.messages,
  };
}
