import { ApiProperty } from '@nestjs/swagger';

export const IMPORT_FORMATS = ['ndjson', 'chatgpt'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
/** The report lists this many failures at most, whatever the body holds. */
export const MAX_LISTED_FAILURES = 100;

export class ImportCountsDto {
  @ApiProperty({ type: 'integer', example: 41, description: 'Stored, each whole, as an inactive session.' })
  imported!: number;

  @ApiProperty({ type: 'integer', example: 2, description: 'Already in the account (same session id): nothing changed.' })
  skipped!: number;

  @ApiProperty({ type: 'integer', example: 1, description: 'Refused; nothing of them was stored. See `failures`.' })
  failed!: number;
}

export class ImportFailureDto {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 7,
    description: "The conversation's 0-based position in the body; null for an NDJSON line outside any conversation.",
  })
  index!: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '0b7f2c1e-4f7a-4d5e-9c1b-2a3d4e5f6a7b',
    description: 'Its id in the body: the session id (NDJSON) or the ChatGPT conversation id.',
  })
  id!: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 118,
    description: 'NDJSON: the line of its session line (or of the line refused).',
  })
  line!: number | null;

  @ApiProperty({ example: 'message 3: content must be at most 10000 characters (CHAT_MESSAGE_MAX_LENGTH)' })
  reason!: string;
}

export class ImportReportDto {
  @ApiProperty({ enum: IMPORT_FORMATS, description: "`ndjson`: this service's export; `chatgpt`: a ChatGPT conversations.json." })
  format!: ImportFormat;

  @ApiProperty({ type: ImportCountsDto })
  conversations!: ImportCountsDto;

  @ApiProperty({ type: 'integer', example: 1337 })
  messages_imported!: number;

  @ApiProperty({
    type: 'integer',
    example: 45,
    description: 'ChatGPT messages of the current branches left out on purpose: hidden by ChatGPT, empty, or with no text part.',
  })
  messages_omitted!: number;

  @ApiProperty({
    type: 'integer',
    example: 30,
    description: "Valid `usage` lines: checked, not stored (usage is this service's own spending).",
  })
  usage_lines_ignored!: number;

  @ApiProperty({
    type: 'integer',
    example: 0,
    description: 'NDJSON lines outside any conversation that were refused (listed in `failures` with index null).',
  })
  lines_rejected!: number;

  @ApiProperty({ type: [ImportFailureDto], maxItems: MAX_LISTED_FAILURES, description: `In body order; the first ${MAX_LISTED_FAILURES}.` })
  failures!: ImportFailureDto[];

  @ApiProperty({ type: 'integer', example: 0, description: 'Failures beyond those listed.' })
  failures_not_listed!: number;
}
