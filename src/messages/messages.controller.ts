import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { UuidParam } from '../common/dto/uuid-param.dto.js';
import type { FilterablePage } from '../common/pagination/pagination.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { SESSION_INACTIVE, SESSION_NOT_FOUND } from '../sessions/session.errors.js';
import { QUOTA_EXCEEDED } from '../usage/usage.errors.js';
import {
  CreateMessageBatchDto,
  CreateMessageDto,
  ListMessagesQueryDto,
  SearchMessagesQueryDto,
  UpdateMessageDto,
} from './dto/message-request.dto.js';
import { MessageBatchResponseDto, MessagePageDto, MessageResponseDto, SearchPageDto } from './dto/message-response.dto.js';
import { MESSAGE_NOT_FOUND } from './message.errors.js';
import { MessagesService } from './messages.service.js';

@ApiTags('messages')
@ApiBearerAuth()
@Controller()
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('sessions/:id/messages')
  @ApiOperation({
    summary: 'Append a message',
    description: "Gets the session's next seq; counters and preview change in the same transaction.",
  })
  @ApiCreatedResponse({ type: MessageResponseDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND, SESSION_INACTIVE, QUOTA_EXCEEDED)
  append(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam, @Body() dto: CreateMessageDto): Promise<MessageResponseDto> {
    return this.messages.append(user, id, dto);
  }

  @Post('sessions/:id/messages/batch')
  @ApiOperation({ summary: 'Append 1 to 100 messages, all or nothing' })
  @ApiCreatedResponse({ type: MessageBatchResponseDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND, SESSION_INACTIVE, QUOTA_EXCEEDED)
  appendBatch(
    @CurrentUser() user: AuthUser,
    @Param() { id }: UuidParam,
    @Body() dto: CreateMessageBatchDto,
  ): Promise<MessageBatchResponseDto> {
    return this.messages.appendBatch(user, id, dto.messages);
  }

  @Get('sessions/:id/messages')
  @ApiOperation({
    summary: "Page through a session's history",
    description:
      'Oldest first by default; page_size default 50, max 200. `total` is the session message_count, or with `role` the count ' +
      'of that role kept on the session. `cursor` costs the same at any depth; `page` skips rows, so it costs what it skips ' +
      'and reaches at most HISTORY_MAX_PAGE_DEPTH (5000) messages deep (`page × page_size`, 400 beyond): page further by cursor. ' +
      '`metadata={json}` keeps the messages whose metadata contains that object (with `role`, `order` and both paging modes); ' +
      '`total` is then the number of matches, counted up to METADATA_EXACT_TOTAL_LIMIT (1000) and estimated beyond ' +
      '(`total_is_estimate: true`).',
  })
  @ApiOkResponse({ type: MessagePageDto })
  @ApiProblems(400, 401, SESSION_NOT_FOUND)
  history(
    @CurrentUser() user: AuthUser,
    @Param() { id }: UuidParam,
    @Query() query: ListMessagesQueryDto,
  ): Promise<FilterablePage<MessageResponseDto>> {
    return this.messages.history(user, id, query);
  }

  @Delete('sessions/:id/messages')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Clear the history',
    description:
      'Every message so far disappears from every read at once (from reads served by a read replica once it has replayed the clear; the rows are erased in the background). Counters reset to zero; ' +
      'seq continues from the last one handed out (it is never reused, so an old cursor never lands among new messages). ' +
      'Usage already recorded is kept.',
  })
  @ApiNoContentResponse({ description: 'Cleared.' })
  @ApiProblems(400, 401, SESSION_NOT_FOUND)
  clear(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam): Promise<void> {
    return this.messages.clear(user, id);
  }

  @Get('messages/search')
  @ApiOperation({
    summary: 'Full-text search over your messages: best first, or newest first when many match',
    description:
      'Up to SEARCH_EXACT_TOTAL_LIMIT (1000) matches: every match is ranked, hits come best first (`order: rank`) and `total` ' +
      'is exact. Beyond that, ranking and counting them all would read every match: hits come newest first (`order: newest`), ' +
      'each still with its `rank`, and `total` is an estimate (`total_is_estimate: true`). A cursor walk keeps the order of its ' +
      'first page. page_size default 20, max 100. `page` mode reaches at most SEARCH_MAX_PAGE_DEPTH (1000) results deep; page ' +
      'further by cursor.',
  })
  @ApiOkResponse({ type: SearchPageDto })
  @ApiProblems(400, 401)
  search(@CurrentUser() user: AuthUser, @Query() query: SearchMessagesQueryDto): Promise<SearchPageDto> {
    return this.messages.search(user, query);
  }

  @Get('messages/:id')
  @ApiOperation({ summary: 'Get a message' })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiProblems(400, 401, MESSAGE_NOT_FOUND)
  get(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam): Promise<MessageResponseDto> {
    return this.messages.get(user, id);
  }

  @Patch('messages/:id')
  @ApiOperation({ summary: "Edit a message's content or metadata" })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiProblems(400, 401, MESSAGE_NOT_FOUND)
  update(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam, @Body() dto: UpdateMessageDto): Promise<MessageResponseDto> {
    return this.messages.update(user, id, dto);
  }

  @Delete('messages/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a message', description: "The session's counters follow; its seq is not reused." })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(400, 401, MESSAGE_NOT_FOUND)
  remove(@CurrentUser() user: AuthUser, @Param() { id }: UuidParam): Promise<void> {
    return this.messages.remove(user, id);
  }
}
