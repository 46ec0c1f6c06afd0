import { Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { streamedBody, StreamedBodyParam, type StreamedBody } from '../common/validation/streamed-body.js';
import { ImportReportDto } from './dto/import-report.dto.js';
import { IMPORT_NOT_READABLE, IMPORT_TOO_LARGE } from './import.errors.js';
import { CHATGPT_JSON, ImportService, NDJSON } from './import.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me/import')
export class ImportController {
  constructor(private readonly imports: ImportService) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @RouteConfig(streamedBody([NDJSON, CHATGPT_JSON]))
  @ApiOperation({
    summary: "Import conversations: this service's NDJSON export, or a ChatGPT conversations.json",
    description:
      '`application/x-ndjson`: the lines of GET /users/me/export (first line `{"type":"user","version":1,…}`, the rest into this ' +
      'account; `usage` lines are checked and ignored). `application/json`: the array of a ChatGPT export, each conversation ' +
      'flattened along its current branch (current_node up to the root), with roles, create_time and metadata.model_slug; ' +
      'messages ChatGPT hides, empty ones and those without text are left out (`messages_omitted`), non-text parts are named in ' +
      'the message metadata (`omitted_parts`), tool messages keep role `tool`. The body is read as it arrives, up to ' +
      'IMPORT_MAX_BYTES (BODY_LIMIT does not apply), one conversation at a time (each at most IMPORT_MAX_CONVERSATION_BYTES). ' +
      'Each conversation is validated like the append, then stored whole or not at all as an inactive session ' +
      '(`deactivated_reason: "imported"`, or its exported reason if it was exported inactive) that spends no quota and records ' +
      'no usage. Idempotent: a session id the account has is `skipped` (ChatGPT conversations get a UUID v5 of the conversation ' +
      'id). A body that stops being readable midway (413, 400) is answered as a problem saying how many conversations were ' +
      'stored before that point.',
  })
  @ApiConsumes(NDJSON, CHATGPT_JSON)
  @ApiBody({
    schema: { type: 'string', format: 'binary' },
    description:
      'application/x-ndjson: one JSON object per line, as GET /users/me/export writes them (`user`, then each `session` ' +
      'followed by its `message` lines, then `usage`). application/json: the conversations.json of a ChatGPT export.',
  })
  @ApiOkResponse({ type: ImportReportDto, description: 'Every conversation is imported, skipped or failed; failures say which and why.' })
  @ApiProblems(IMPORT_NOT_READABLE, 401, IMPORT_TOO_LARGE, {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'Send the request body as application/x-ndjson or application/json.',
  })
  import(@CurrentUser() user: AuthUser, @StreamedBodyParam() body: StreamedBody): Promise<ImportReportDto> {
    return this.imports.import(user, body);
  }
}
