import { ProblemException } from '../common/problem/problem.js';
import { MAX_LISTED_FAILURES, type ImportFailureDto, type ImportFormat, type ImportReportDto } from './dto/import-report.dto.js';

/** The counts of one import as it goes; its size stays bounded whatever the body holds. */
export class ImportReport {
  private readonly dto: ImportReportDto;

  constructor(format: ImportFormat) {
    this.dto = {
      format,
      conversations: { imported: 0, skipped: 0, failed: 0 },
      messages_imported: 0,
      messages_omitted: 0,
      usage_lines_ignored: 0,
      lines_rejected: 0,
      failures: [],
      failures_not_listed: 0,
    };
  }

  imported(messages: number, omitted: number): void {
    this.dto.conversations.imported++;
    this.dto.messages_imported += messages;
    this.dto.messages_omitted += omitted;
  }

  skipped(): void {
    this.dto.conversations.skipped++;
  }

  usageIgnored(): void {
    this.dto.usage_lines_ignored++;
  }

  /** A conversation refused (index set), or an NDJSON line outside any (index null). */
  failed(failure: ImportFailureDto): void {
    if (failure.index === null) this.dto.lines_rejected++;
    else this.dto.conversations.failed++;
    if (this.dto.failures.length < MAX_LISTED_FAILURES) this.dto.failures.push(failure);
    else this.dto.failures_not_listed++;
  }

  result(): ImportReportDto {
    return this.dto;
  }

  /** A problem with the body that stops the import: said with what was already stored, if anything was. */
  interrupted(error: unknown): unknown {
    const { imported } = this.dto.conversations;
    if (!(error instanceof ProblemException) || imported === 0) return error;
    const stored = `${imported} conversation${imported === 1 ? ' was' : 's were'} stored before that point; importing the same body again skips them.`;
    return new ProblemException(error.getStatus(), error.code, `${error.detail} ${stored}`, error.extras);
  }
}
