import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../../config/env.schema.js';
import { jwtSecret } from '../../config/jwt-secret.js';
import { validationFailed } from '../problem/problem.js';
import { CursorCodec, type CursorKey } from './cursor-codec.js';
import type { PageQueryDto } from './page-query.dto.js';

export interface PageEnvelope<T> {
  data: T[];
  total: number;
  page: number | null;
  page_size: number;
  has_more: boolean;
  next_cursor: string | null;
}

/** The envelope of a list whose total may be an estimate (see FilterablePageOf). */
export type FilterablePage<T> = PageEnvelope<T> & { total_is_estimate: boolean };

export type Paging<K extends CursorKey> =
  { mode: 'page'; size: number; page: number; offset: number } | { mode: 'cursor'; size: number; after: K };

export interface PageSizeLimits {
  defaultSize: number;
  maxSize: number;
}

/** A list's page sizes and, for `page` mode, the deepest row it reaches (`page × page_size`; cursor beyond). */
export interface PageLimits extends PageSizeLimits {
  maxDepth?: number;
}

/**
 * One pagination scheme for every list. Queries fetch `size + 1` rows in the list's sort order (offset for
 * page mode, keyset for cursor mode); `envelope()` trims the extra row into `has_more` and signs the key of
 * the last row as `next_cursor`. The `scope` names the query (sort, direction, filters) a cursor belongs to.
 */
@Injectable()
export class Pagination {
  private readonly codec: CursorCodec;
  /** Page sizes of the lists configured by CHAT_DEFAULT_PAGE_SIZE / CHAT_MAX_PAGE_SIZE (sessions, users). */
  readonly configuredLimits: PageSizeLimits;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    this.codec = new CursorCodec(jwtSecret(config));
    this.configuredLimits = {
      defaultSize: config.get('CHAT_DEFAULT_PAGE_SIZE', { infer: true }),
      maxSize: config.get('CHAT_MAX_PAGE_SIZE', { infer: true }),
    };
  }

  resolve<K extends CursorKey>(query: PageQueryDto, limits: PageLimits, scope: string, isKey: (key: unknown) => key is K): Paging<K> {
    if (query.page !== undefined && query.cursor !== undefined) {
      throw validationFailed([{ field: 'cursor', message: 'cannot be combined with page' }]);
    }
    const size = query.page_size ?? limits.defaultSize;
    if (size > limits.maxSize) {
      throw validationFailed([{ field: 'page_size', message: `must not be greater than ${limits.maxSize}` }]);
    }
    if (query.cursor !== undefined) return { mode: 'cursor', size, after: this.codec.decode(scope, query.cursor, isKey) };
    const page = query.page ?? 1;
    // An offset costs what it skips, so page mode stops at a depth (the first page skips nothing); the cursor
    // costs the same at any depth.
    if (limits.maxDepth !== undefined && page > 1 && page * size > limits.maxDepth) {
      throw validationFailed([
        { field: 'page', message: `page × page_size must not exceed ${limits.maxDepth}; page deeper with cursor (next_cursor)` },
      ]);
    }
    return { mode: 'page', size, page, offset: (page - 1) * size };
  }

  envelope<R, T, K extends CursorKey>(
    rows: R[],
    paging: Paging<K>,
    total: number,
    scope: string,
    keyOf: (row: R) => K,
    toDto: (row: R) => T,
  ): PageEnvelope<T> {
    const hasMore = rows.length > paging.size;
    const pageRows = hasMore ? rows.slice(0, paging.size) : rows;
    const last = pageRows.at(-1);
    return {
      data: pageRows.map(toDto),
      total,
      page: paging.mode === 'page' ? paging.page : null,
      page_size: paging.size,
      has_more: hasMore,
      next_cursor: hasMore && last !== undefined ? this.codec.encode(scope, keyOf(last)) : null,
    };
  }
}

/**
 * `(a, b) > (:after0, :after1)` for a keyset continuing after `after`; every sort column runs the same way.
 * Column names come from code, never from the request.
 */
export function keysetPredicate(columns: readonly string[], direction: 'asc' | 'desc', after: CursorKey) {
  const names = columns.map((_, i) => `:after${i}`);
  const params = Object.fromEntries(after.map((value, i) => [`after${i}`, value]));
  return { sql: `(${columns.join(', ')}) ${direction === 'asc' ? '>' : '<'} (${names.join(', ')})`, params };
}
