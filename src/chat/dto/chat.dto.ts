import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { MessageResponseDto } from '../../messages/dto/message-response.dto.js';
import { TokenCountsDto } from '../../usage/dto/usage-response.dto.js';

export class ChatRequestDto {
  @ApiProperty({
    example: 'Why does the nightly import fail on Sundays?',
    minLength: 1,
    maxLength: 10_000,
    description: '1 to CHAT_MESSAGE_MAX_LENGTH (default 10000) characters.',
  })
  @IsString()
  @Length(1, 1_000_000)
  message!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'An active session of yours; without it a new session is created.' })
  @IsOptional()
  @IsUUID('all')
  session_id?: string;

  @ApiPropertyOptional({
    example: 'primary',
    pattern: '^[a-z][a-z0-9_]{0,31}$',
    description: 'One of AGENT_TYPES, for a new session. Default: primary.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,31}$/, { message: 'agent_type must be one of the configured agent types' })
  agent_type?: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 255,
    description:
      "Title of the new session, at most CHAT_TITLE_MAX_LENGTH (default 255) characters. Default: the message's first 60 characters.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 10_000)
  title?: string;

  @ApiPropertyOptional({
    example: 'gpt-4o-mini',
    minLength: 1,
    maxLength: 200,
    description: 'The default model (LLM_MODEL) or one of LLM_MODELS; any other is 400 model_not_allowed.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  model?: string;

  @ApiPropertyOptional({ description: 'true: Server-Sent Events. Absent: streams when the request accepts text/event-stream.' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}

/** `event: session`, first: where the turn is stored. */
export class ChatSessionEventDto {
  @ApiProperty({ format: 'uuid' })
  session_id!: string;

  @ApiProperty({ type: [String], format: 'uuid', description: 'Sessions retired to make room for a new one.' })
  evicted_session_ids!: string[];

  @ApiProperty({ type: MessageResponseDto, description: 'Already stored before the model is called.' })
  user_message!: MessageResponseDto;
}

/** `event: delta`, repeated: the next piece of the reply. */
export class ChatDeltaEventDto {
  @ApiProperty({ example: 'The import ' })
  content!: string;
}

/** `event: done`, last on success: the stored reply. */
export class ChatDoneEventDto {
  @ApiProperty({ type: MessageResponseDto, description: 'model, tokens and metadata.finish_reason included.' })
  assistant_message!: MessageResponseDto;

  @ApiProperty({ type: TokenCountsDto })
  usage!: TokenCountsDto;
}
