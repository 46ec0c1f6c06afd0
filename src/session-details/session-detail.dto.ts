import { ApiProperty } from '@nestjs/swagger';
import { MessageResponseDto } from '../messages/dto/message-response.dto.js';
import { SessionResponseDto } from '../sessions/dto/session-response.dto.js';

export class SessionDetailDto extends SessionResponseDto {
  @ApiProperty({ type: [MessageResponseDto], required: false, description: 'The latest message_limit messages, oldest first.' })
  messages?: MessageResponseDto[];
}
