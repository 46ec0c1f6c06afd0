import { Module } from '@nestjs/common';
import { ConversationValidator } from './conversation-validator.js';
import { ImportController } from './import.controller.js';
import { ImportRepository } from './import.repository.js';
import { ImportService } from './import.service.js';

/** POST /users/me/import: conversations from this service's export or from ChatGPT, into the caller's account. */
@Module({
  controllers: [ImportController],
  providers: [ImportService, ImportRepository, ConversationValidator],
})
export class ImportModule {}
