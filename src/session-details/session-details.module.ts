import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { SessionDetailsController } from './session-details.controller.js';

/**
 * Views of a session that need its messages too. They live above both modules, so sessions never depend
 * on messages (messages already depend on sessions for their parent row).
 */
@Module({
  imports: [SessionsModule, MessagesModule],
  controllers: [SessionDetailsController],
})
export class SessionDetailsModule {}
