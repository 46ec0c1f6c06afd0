import { applyDecorators, Controller, Get, Param, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOperation, ApiProduces, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { Roles } from '../common/decorators/roles.decorator.js';
import { UuidParam } from '../common/dto/uuid-param.dto.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { USER_NOT_FOUND } from '../users/user.errors.js';
import { EXPORT_LINE_MODELS } from './dto/export-line.dto.js';
import { ExportService } from './export.service.js';
import { NDJSON_CONTENT_TYPE, sendNdjson } from './ndjson-reply.js';

const EXAMPLE = [
  '{"type":"user","version":1,"id":"0b7d5a7e-…","email":"ada@example.com","display_name":"Ada","avatar_url":null,"role":"user","created_at":"2026-11-02T09:00:00.000Z","updated_at":"2026-11-02T09:00:00.000Z"}',
  '{"type":"session","id":"5b0c1c55-…","user_id":"0b7d5a7e-…","title":"Nightly import","agent_type":"primary","project_id":null,"is_active":true,"deactivated_reason":null,"metadata":{},"message_count":2,"total_tokens":976,"last_message_preview":"It failed at 02:00.","created_at":"2026-11-30T08:00:00.000Z","updated_at":"2026-11-30T08:01:00.000Z","last_message_at":"2026-11-30T08:01:00.000Z"}',
  '{"type":"message","id":"9d4e…","session_id":"5b0c1c55-…","seq":1,"role":"user","content":"Why did the import fail?","agent_type":"primary","model":null,"metadata":{},"prompt_tokens":null,"completion_tokens":null,"created_at":"2026-11-30T08:00:30.000Z","updated_at":"2026-11-30T08:00:30.000Z"}',
  '{"type":"message","id":"a1f0…","session_id":"5b0c1c55-…","seq":2,"role":"assistant","content":"It failed at 02:00.","agent_type":"primary","model":"gpt-4o-mini","metadata":{},"prompt_tokens":812,"completion_tokens":164,"created_at":"2026-11-30T08:01:00.000Z","updated_at":"2026-11-30T08:01:00.000Z"}',
  '{"type":"usage","date":"2026-11-30","agent_type":"primary","model":null,"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"messages":1}',
  '{"type":"usage","date":"2026-11-30","agent_type":"primary","model":"gpt-4o-mini","prompt_tokens":812,"completion_tokens":164,"total_tokens":976,"messages":1}',
].join('\n');

const DESCRIPTION =
  'Streams the account as NDJSON (`application/x-ndjson`): one JSON object per line, each ending in `\\n`, `type` first. ' +
  'Lines: `user` once (with `version`: 1), then every visible session (not deleted) in (created_at, id) order, each followed by ' +
  'its visible messages (above a cleared history) in seq order, then `usage` per UTC day, agent type and model. The other fields ' +
  'are exactly those of the public responses (GET /users/me, GET /sessions/{id} without `messages`, GET /messages/{id}); the ' +
  'same data exports to the same bytes. gzip (`Content-Encoding: gzip`) when Accept-Encoding prefers it. The service reads in ' +
  'batches of EXPORT_BATCH_SIZE as the client takes them, so memory stays flat and a slow client holds no database connection. ' +
  'Not a snapshot: each batch sees what was committed when it was read. Every session that exists throughout is exported once; ' +
  "a session's messages are those that existed when its line was read, less any deleted or cleared before their batch. " +
  'A failure or an erasure of the account mid-export cuts the connection, so a body that ends cleanly is complete.';

function ApiExport(summary: string) {
  return applyDecorators(
    ApiOperation({ summary, description: DESCRIPTION }),
    ApiProduces(NDJSON_CONTENT_TYPE),
    ApiExtraModels(...EXPORT_LINE_MODELS),
    ApiResponse({
      status: 200,
      description: 'The export, one line per object; each line is one of the schemas below.',
      headers: {
        'Content-Encoding': {
          description: '`gzip` when the request accepted it; absent otherwise.',
          schema: { type: 'string', enum: ['gzip'] },
        },
        Vary: { description: 'Always `Accept-Encoding`.', schema: { type: 'string' } },
        'Content-Disposition': { description: 'attachment; filename="chat-history-<user id>.ndjson"', schema: { type: 'string' } },
        'Cache-Control': { description: 'Always `no-store`.', schema: { type: 'string' } },
      },
      content: {
        [NDJSON_CONTENT_TYPE]: {
          schema: { oneOf: EXPORT_LINE_MODELS.map((model) => ({ $ref: getSchemaPath(model) })), discriminator: { propertyName: 'type' } },
          example: EXAMPLE,
        },
      },
    }),
  );
}

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me/export')
export class ExportController {
  constructor(private readonly exports: ExportService) {}

  @Get()
  @ApiExport('Export your account, sessions, messages and usage as NDJSON')
  @ApiProblems(401)
  async exportMe(@CurrentUser() user: AuthUser, @Res() reply: FastifyReply): Promise<void> {
    await sendNdjson(reply, await this.exports.ofSelf(user.id), `chat-history-${user.id}.ndjson`);
  }
}

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('users/:id/export')
export class AdminExportController {
  constructor(private readonly exports: ExportService) {}

  @Get()
  @ApiExport("Export a user's account, sessions, messages and usage as NDJSON (admin)")
  @ApiProblems(400, 401, 403, USER_NOT_FOUND)
  async exportUser(@Param() { id }: UuidParam, @Res() reply: FastifyReply): Promise<void> {
    await sendNdjson(reply, await this.exports.ofUser(id), `chat-history-${id}.ndjson`);
  }
}
