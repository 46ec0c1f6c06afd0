import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { UuidParam } from '../common/dto/uuid-param.dto.js';
import type { PageEnvelope } from '../common/pagination/pagination.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { CreateSessionDto, DeleteSessionQueryDto, ListSessionsQueryDto, UpdateSessionDto } from './dto/session-request.dto.js';
import { SessionPageDto, SessionResponseDto, SessionWithEvictionsDto } from './dto/session-response.dto.js';
import { SESSION_LIMIT_REACHED, SESSION_NOT_FOUND } from './session.errors.js';
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
      '(`page × page_size`, 400 beyond); page further by cursor.',
  })
  @ApiOkResponse({ type: SessionPageDto })
  @ApiProblems(400, 401)
  list(@CurrentUser() user: AuthUser, @Query() query: ListSessionsQueryDto): Promise<PageEnvelope<SessionResponseDto>> {
    return this.sessions.list(user, query);
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
