import { ApiProperty } from '@nestjs/swagger';
import { MessageResponseDto } from '../../messages/dto/message-response.dto.js';
import { SessionResponseDto } from '../../sessions/dto/session-response.dto.js';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';

/** The schemas of the export's lines, for the OpenAPI document: each is its public response plus `type` (first on the line). */
export class ExportUserLineDto extends UserResponseDto {
  @ApiProperty({ enum: ['user'], description: 'The first line, once.' })
  type!: 'user';

  @ApiProperty({ type: 'integer', enum: [1], description: 'The format version; an import refuses a version it does not know.' })
  version!: 1;
}

export class ExportSessionLineDto extends SessionResponseDto {
  @ApiProperty({ enum: ['session'], description: 'A visible session as GET /sessions/{id} returns it; its messages follow.' })
  type!: 'session';
}

export class ExportMessageLineDto extends MessageResponseDto {
  @ApiProperty({ enum: ['message'], description: 'A visible message of the session of the line before, in seq order.' })
  type!: 'message';
}

export class ExportUsageLineDto {
  @ApiProperty({ enum: ['usage'], description: 'After the sessions: the per-day usage rollup, in (date, agent_type, model) order.' })
  type!: 'usage';

  @ApiProperty({ format: 'date', example: '2026-11-30', description: 'UTC day.' })
  date!: string;

  @ApiProperty({ example: 'primary' })
  agent_type!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'gpt-4o-mini',
    description: 'null for messages that named no model (as GET /usage?group_by=model reports them); such lines come first.',
  })
  model!: string | null;

  @ApiProperty({ type: 'integer', example: 812 })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer', example: 164 })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer', example: 976 })
  total_tokens!: number;

  @ApiProperty({ type: 'integer', example: 2, description: 'Messages appended that day, with or without token counts.' })
  messages!: number;
}

export const EXPORT_LINE_MODELS = [ExportUserLineDto, ExportSessionLineDto, ExportMessageLineDto, ExportUsageLineDto];
