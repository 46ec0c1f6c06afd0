import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { ApiKeyScopeAllowed } from '../common/decorators/api-key-scope.decorator.js';
import { Roles } from '../common/decorators/roles.decorator.js';
import type { PageEnvelope } from '../common/pagination/pagination.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { AdminUsageQueryDto, UsageQueryDto } from './dto/usage-request.dto.js';
import { QuotaDto, UsageReportDto, UsageStatsDto, UserUsageDto, UserUsagePageDto } from './dto/usage-response.dto.js';
import { QuotaService } from './quota.service.js';
import { UsageService } from './usage.service.js';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('usage')
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly quota: QuotaService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Your token usage over a range of UTC days',
    description:
      'Counted when messages are stored; deleting messages does not refund it. `group_by=session` is paged in session id ' +
      'order (`page_size` default 100, at most 1000; `cursor` from `next_cursor`) and adds `page_size`, `has_more` and ' +
      '`next_cursor`; `total` always sums the whole range. The other groupings come whole.',
  })
  @ApiOkResponse({ type: UsageReportDto })
  @ApiProblems(400, 401)
  report(@CurrentUser() user: AuthUser, @Query() query: UsageQueryDto): Promise<UsageReportDto> {
    return this.usage.report(user, query);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Your sessions and messages at a glance' })
  @ApiOkResponse({ type: UsageStatsDto })
  @ApiProblems(401)
  stats(@CurrentUser() user: AuthUser): Promise<UsageStatsDto> {
    return this.usage.stats(user);
  }

  @Get('quota')
  @ApiOperation({ summary: 'Your daily limits and what is used today' })
  @ApiOkResponse({ type: QuotaDto })
  @ApiProblems(401)
  quotaStatus(@CurrentUser() user: AuthUser): Promise<QuotaDto> {
    return this.quota.status(user.id);
  }
}

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/usage')
export class AdminUsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @ApiKeyScopeAllowed('usage:read')
  @ApiOperation({
    summary: 'Per-user totals over a range of UTC days, largest first (admin, or an API key with scope usage:read)',
    description:
      '`total` is the exact number of users with usage in the range. Every page aggregates the whole range. An API key with ' +
      'scope `usage:read` may call it without `X-On-Behalf-Of` (for billing and reporting backends).',
  })
  @ApiOkResponse({ type: UserUsagePageDto })
  @ApiProblems(400, 401, 403)
  leaderboard(@Query() query: AdminUsageQueryDto): Promise<PageEnvelope<UserUsageDto>> {
    return this.usage.leaderboard(query);
  }
}
