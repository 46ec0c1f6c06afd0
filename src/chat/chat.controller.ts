import { Body, Controller, Headers, Post, Res, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.schema.js';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { describeProblem } from '../common/filters/problem.filter.js';
import { ApiProblems, ProblemDto } from '../common/swagger/api-problems.decorator.js';
import { SESSION_INACTIVE, SESSION_LIMIT_REACHED, SESSION_NOT_FOUND } from '../sessions/session.errors.js';
import { MODEL_CALLS_IN_FLIGHT, QUOTA_EXCEEDED } from '../usage/usage.errors.js';
import { MODEL_NOT_ALLOWED, UPSTREAM_ERROR } from './chat.errors.js';
import { ChatService } from './chat.service.js';
import { ChatDeltaEventDto, ChatDoneEventDto, ChatRequestDto, ChatSessionEventDto } from './dto/chat.dto.js';
import { clientDisconnect, SseStream } from './sse-stream.js';

const SSE_EXAMPLE = [
  'event: session',
  'data: {"session_id":"…","evicted_session_ids":[],"user_message":{"seq":1,"role":"user","content":"Hi",…}}',
  '',
  'event: delta',
  'data: {"content":"Hello"}',
  '',
  ': keep-alive',
  '',
  'event: done',
  'data: {"assistant_message":{"seq":2,"role":"assistant","content":"Hello there","model":"echo",…},"usage":{…}}',
].join('\n    ');

/**
 * The 200 event stream has no `content` entry on purpose: no JSON schema describes an event stream, and any
 * entry there makes generated clients (openapi-typescript + openapi-fetch) type the JSON call's result as a
 * union of the reply and the stream. Stream readers read the body as a stream; the schemas of the frames'
 * data lines are components, linked from the description.
 */
const STREAM_DESCRIPTION =
  'Streaming (`stream: true`, or `Accept: text/event-stream` without `stream`): `Content-Type: text/event-stream`. ' +
  `Each frame's data line is JSON: \`session\` ${schemaLink(ChatSessionEventDto)}, \`delta\` ${schemaLink(ChatDeltaEventDto)}, ` +
  `\`done\` ${schemaLink(ChatDoneEventDto)}, or \`error\` ${schemaLink(ProblemDto)}. For example:\n\n    ${SSE_EXAMPLE}`;

function schemaLink(model: Type<unknown>): string {
  return `([${model.name}](${getSchemaPath(model)}))`;
}

@ApiTags('chat')
@ApiBearerAuth()
@ApiExtraModels(ChatSessionEventDto, ChatDeltaEventDto, ChatDoneEventDto, ProblemDto)
@Controller('chat')
export class ChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'One chat turn: store your message, ask the model, store and return (or stream) its reply',
    description:
      'Without session_id a new session is created (under the active-session limit). Your message is stored before ' +
      'the model is called. With `stream: true` (or `Accept: text/event-stream`) the reply streams as Server-Sent ' +
      'Events: `session` (ChatSessionEventDto), then `delta` (ChatDeltaEventDto) as tokens arrive, then `done` ' +
      '(ChatDoneEventDto); a failure sends `error` (a problem object) and ends the stream; a `: keep-alive` comment ' +
      'line comes every 15 s. If you disconnect mid-stream, the partial reply is kept with ' +
      'metadata.finish_reason "interrupted".',
  })
  @ApiResponse({
    status: 201,
    description: 'Without streaming: the `session` and `done` events in one JSON object.',
    schema: { allOf: [{ $ref: getSchemaPath(ChatSessionEventDto) }, { $ref: getSchemaPath(ChatDoneEventDto) }] },
  })
  @ApiResponse({ status: 200, description: STREAM_DESCRIPTION })
  @ApiProblems(
    400,
    MODEL_NOT_ALLOWED,
    401,
    SESSION_NOT_FOUND,
    SESSION_INACTIVE,
    SESSION_LIMIT_REACHED,
    QUOTA_EXCEEDED,
    MODEL_CALLS_IN_FLIGHT,
    UPSTREAM_ERROR,
  )
  async turn(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChatRequestDto,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const streaming = dto.stream ?? /\btext\/event-stream\b/.test(accept ?? '');
    const turn = await this.chat.begin(user, dto);
    const started = { session_id: turn.session_id, evicted_session_ids: turn.evicted_session_ids, user_message: turn.user_message };
    if (!streaming) {
      const answer = await this.chat.reply(user, turn, clientDisconnect(reply), () => undefined);
      if (answer && !reply.raw.destroyed)
        void reply.status(201).send({ ...started, assistant_message: answer.assistant_message, usage: answer.usage });
      return;
    }
    let stream: SseStream;
    try {
      stream = new SseStream(reply, this.config.get('CHAT_HEARTBEAT_MS', { infer: true }));
      stream.send('session', started);
    } catch (error) {
      await this.chat.abandon(user, turn);
      throw error;
    }
    try {
      const answer = await this.chat.reply(user, turn, stream.clientGone, (content) => stream.send('delta', { content }));
      if (answer) stream.send('done', { assistant_message: answer.assistant_message, usage: answer.usage });
    } catch (error) {
      stream.send('error', describeProblem(error, reply.request.url, reply.request.id).body);
    } finally {
      stream.end();
    }
  }
}
