import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.schema.js';
import type { AuthUser } from '../common/auth/auth-user.js';
import type { StreamedBody } from '../common/validation/streamed-body.js';
import { bodyChunks } from './body-chunks.js';
import { chatgptItems } from './chatgpt-items.js';
import { ConversationValidator } from './conversation-validator.js';
import type { ImportFormat, ImportReportDto } from './dto/import-report.dto.js';
import type { ImportItem } from './import-items.js';
import { ImportReport } from './import-report.js';
import { ConversationRefused } from './import.errors.js';
import { ImportRepository } from './import.repository.js';
import { ndjsonItems } from './ndjson-items.js';
import { ndjsonLines } from './ndjson-lines.js';

export const NDJSON = 'application/x-ndjson';
export const CHATGPT_JSON = 'application/json';

/**
 * Imports conversations as the body streams in: each is read, validated and stored (one statement, so
 * whole or not at all) before the next is read, so memory holds one conversation at a time and a refused
 * one costs the others nothing. Stored sessions are inactive and spend no quota.
 */
@Injectable()
export class ImportService {
  constructor(
    private readonly validator: ConversationValidator,
    private readonly repository: ImportRepository,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  async import(user: AuthUser, body: StreamedBody): Promise<ImportReportDto> {
    const format: ImportFormat = body.mediaType === NDJSON ? 'ndjson' : 'chatgpt';
    const report = new ImportReport(format);
    try {
      for await (const item of this.items(format, body)) await this.take(user, item, report);
    } catch (error) {
      throw report.interrupted(error);
    }
    return report.result();
  }

  private items(format: ImportFormat, body: StreamedBody): AsyncGenerator<ImportItem> {
    const chunks = bodyChunks(body.stream, body.declaredLength, this.config.get('IMPORT_MAX_BYTES', { infer: true }));
    const maxConversation = this.config.get('IMPORT_MAX_CONVERSATION_BYTES', { infer: true });
    if (format === 'chatgpt') return chatgptItems(chunks, maxConversation);
    return ndjsonItems(ndjsonLines(chunks, maxConversation), maxConversation, {
      maxDepth: this.config.get('BODY_MAX_DEPTH', { infer: true }),
      maxKeys: this.config.get('BODY_MAX_KEYS', { infer: true }),
      maxArrayLength: this.config.get('BODY_MAX_ARRAY_LENGTH', { infer: true }),
      maxNodes: this.config.get('BODY_MAX_NODES', { infer: true }),
    });
  }

  private async take(user: AuthUser, item: ImportItem, report: ImportReport): Promise<void> {
    if (item.kind === 'failed') return report.failed({ index: item.index, id: item.id, line: item.line, reason: item.reason });
    const { index, id, line } = item.kind === 'conversation' ? item.conversation : { index: null, id: null, line: item.line };
    try {
      if (item.kind === 'usage') {
        await this.validator.usage(item.value);
        return report.usageIgnored();
      }
      const conversation = await this.validator.conversation(item.conversation);
      const stored = await this.repository.store(user.id, conversation);
      if (stored === null) report.skipped();
      else report.imported(stored, item.conversation.omitted);
    } catch (error) {
      if (!(error instanceof ConversationRefused)) throw error;
      report.failed({ index, id, line, reason: line !== null && index === null ? `line ${line}: ${error.message}` : error.message });
    }
  }
}
