import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { UuidParam } from '../common/dto/uuid-param.dto.js';
import type { FilterablePage } from '../common/pagination/pagination.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import {
  CreateSessionDto,
  DeleteAllSessionsQueryDto,
  DeleteSessionQueryDto,
  ListSessionsQueryDto,
  UpdateSessionDto,
} from './dto/session-request.dto.js';
import { DeleteAllSessionsResponseDto, SessionPageDto, SessionResponseDto, SessionWithEvictionsDto } from './dto/session-response.dto.js';
import { CONFIRMATION_REQUIRED, SESSION_LIMIT_REACHED, SESSION_NOT_FOUND } from './session.errors.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a session',
    description:
      'At most MAX_SESSIONS_PER_AGENT (5) sessions per agent type are active. Creating one more deactivates the one ' +
      'with the oldest last_message_at and lists it in evicted_session_ids (or answers 409 under the reject policy).',
  })
  @ApiCreatedResponse({ type: SessionWithEvictionsDto })
  @ApiProblems(400, 401, SESSION_LIMIT_REACHED)
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateSessionDto): Promise<SessionWithEvictionsDto> {
    return this.sessions.create(user, dto);
  }

  @Get()
  @ApiOperation({
    summary: 'List your sessions (soft-deleted ones never appear)',
    description:
      'page_size default 10, max 100. `page` mode reaches at most SESSIONS_MAX_PAGE_DEPTH (5000) sessions deep ' +
      '(`page × page_size`, 400 beyond); page further by cursor. `metadata={json}` keeps the sessions whose metadata ' +
      'contains that object (combinable with every other filter and both paging modes); `total` is then counted up to ' +
      'METADATA_EXACT_TOTAL_LIMIT (1000) and estimated beyond (`total_is_estimate: true`).',
  })
  @ApiOkResponse({ type: SessionPageDto })
  @ApiProblems(400, 401)
  list(@CurrentUser() user: AuthUser, @Query() query: ListSessionsQueryDto): Promise<FilterablePage<SessionResponseDto>> {
    return this.sessions.list(user, query);
  }

  @Delete()
  @ApiOperation({
    summary: 'Delete all your sessions (the account stays)',
    description:
      'Needs `confirm=true` (else 400 confirmation_required, nothing deleted). Soft by default: every visible session is ' +
      'deleted as by DELETE /sessions/{id} (deactivated, hidden from every list and read, each restorable with POST ' +
      '/sessions/{id}/restore). `permanent=true`: every session, soft-deleted ones included, and all their messages are gone ' +
      'for good: hidden from every read at once (on a read replica, once replayed), the rows erased in the background in ' +
      'batches, so the answer is as fast for a million messages as for ten. Usage already recorded is kept (it is the ' +
      "account's spending). A session created or restored while this runs is deleted if it was there first, else it stays; " +
      'an append to a session being deleted either lands before (and goes with it) or is refused.',
  })
  @ApiOkResponse({ type: DeleteAllSessionsResponseDto })
  @ApiProblems(400, 401, CONFIRMATION_REQUIRED)
  removeAll(@CurrentUser() user: AuthUser, @Query() query: DeleteAllSessionsQueryDto): Promise<DeleteAllSessionsResponseDto> {
    return this.sessions.removeAll(user, { confirm: query.confirm === true, permanent: query.permanent ?? false });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update title, metadata, project or active state', description: 'is_active: true reactivates under the limit.' })
  @ApiOkResponse({ type: SessionWithEvictionsDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND, SESSION_LIMIT_REACHED)
  update(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam, @Body() dto: UpdateSessionDto): Promise<SessionWithEvictionsDto> {
    return this.sessions.update(user, id, dto);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Same as PATCH (kept for clients that send PUT)' })
  @ApiOkResponse({ type: SessionWithEvictionsDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND, SESSION_LIMIT_REACHED)
  replace(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam, @Body() dto: UpdateSessionDto): Promise<SessionWithEvictionsDto> {
    return this.sessions.update(user, id, dto);
  }

  @Post(':id/end')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'End a session (inactive, reason "ended")' })
  @ApiOkResponse({ type: SessionResponseDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND)
  end(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam): Promise<SessionResponseDto> {
    return this.sessions.end(user, id);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a session',
    description:
      'Soft delete (restorable); ?permanent=true deletes it and its messages for good: gone from every read at once (on a read replica, once replayed), ' +
      'its rows erased in the background. Usage already recorded is kept.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(400, 401, SESSION_NOT_FOUND)
  async remove(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam, @Query() query: DeleteSessionQueryDto): Promise<void> {
    await this.sessions.remove(user, id, query.permanent ?? false);
  }

  @Post(':id/restore')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Restore a soft-deleted session (active again, under the limit)' })
  @ApiOkResponse({ type: SessionWithEvictionsDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND, SESSION_LIMIT_REACHED)
  restore(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam): Promise<SessionWithEvictionsDto> {
    return this.sessions.restore(user, id);
  }
}
