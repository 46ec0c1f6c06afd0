import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { UuidParam } from '../common/dto/uuid-param.dto.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { SessionStatsDto } from '../messages/dto/message-response.dto.js';
import { MessagesService } from '../messages/messages.service.js';
import { GetSessionQueryDto } from '../sessions/dto/session-request.dto.js';
import { SESSION_NOT_FOUND } from '../sessions/session.errors.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { SessionDetailDto } from './session-detail.dto.js';

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionDetailsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly messages: MessagesService,
  ) {}

  @Get(':id')
  @ApiOperation({ summary: 'Get a session, with its latest messages in chronological order' })
  @ApiOkResponse({ type: SessionDetailDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND)
  async get(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam, @Query() query: GetSessionQueryDto): Promise<SessionDetailDto> {
    // One after the other: a request holds at most one pooled connection.
    const session = await this.sessions.get(user, id);
    if (query.include_messages === false) return session;
    return { ...session, messages: await this.messages.latest(user, id, query.message_limit ?? 50) };
  }

  @Get(':id/stats')
  @ApiOperation({
    summary: 'Message and token statistics of a session',
    description:
      'Read from counters kept on the session row by every append, delete and clear, so it costs the same for 10 messages or a million.',
  })
  @ApiOkResponse({ type: SessionStatsDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND)
  stats(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam): Promise<SessionStatsDto> {
    return this.messages.stats(user, id);
  }
}
