import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { ApiPageSize, PageQueryDto } from '../../common/pagination/page-query.dto.js';
import { LEADERBOARD_ORDERS, USAGE_GROUPS, type LeaderboardOrder, type UsageGroup } from '../usage.repository.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class DateRangeQueryDto {
  @ApiPropertyOptional({
    format: 'date',
    example: '2026-11-01',
    description: 'First UTC day, inclusive; at most 366 days before `to`. Default: 29 days before `to`.',
  })
  @IsOptional()
  @Matches(DATE, { message: 'from must be a date (YYYY-MM-DD)' })
  @IsISO8601({ strict: true }, { message: 'from must be a real calendar date' })
  from?: string;

  @ApiPropertyOptional({
    format: 'date',
    example: '2026-11-22',
    description: 'Last UTC day, inclusive; not before `from`. Default: today.',
  })
  @IsOptional()
  @Matches(DATE, { message: 'to must be a date (YYYY-MM-DD)' })
  @IsISO8601({ strict: true }, { message: 'to must be a real calendar date' })
  to?: string;
}

/** The page size of group_by=session; the other groupings are small and come whole. */
export const SESSION_BUCKETS_PAGE = { defaultSize: 100, maxSize: 1000 };

/** `cursor` and `page_size` page group_by=session only (400 with another grouping); there is no `page`. */
@ApiPageSize(SESSION_BUCKETS_PAGE)
export class UsageQueryDto extends DateRangeQueryDto {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 1024,
    description: 'group_by=session only: the `next_cursor` of the previous page (of the same range).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page_size?: number;

  @ApiPropertyOptional({
    enum: USAGE_GROUPS,
    default: 'day',
    description: '`session` is paged (`page_size`, `cursor`) in session id order; the other groupings come whole.',
  })
  @IsOptional()
  @IsIn(USAGE_GROUPS)
  group_by?: UsageGroup;
}

@ApiPageSize({ defaultSize: 20, maxSize: 100 })
export class AdminUsageQueryDto extends IntersectionType(DateRangeQueryDto, PageQueryDto) {
  @ApiPropertyOptional({ enum: LEADERBOARD_ORDERS, default: 'total_tokens' })
  @IsOptional()
  @IsIn(LEADERBOARD_ORDERS)
  order_by?: LeaderboardOrder;
}
