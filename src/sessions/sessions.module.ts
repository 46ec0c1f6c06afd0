import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PaginationModule } from '../common/pagination/pagination.module.js';
import { ErasureModule } from '../erasure/erasure.module.js';
import { ChatSession } from './session.entity.js';
import { SessionCounters } from './session-counters.js';
import { SessionLimiter } from './session-limiter.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([ChatSession]), PaginationModule, ErasureModule],
  controllers: [SessionsController],
  providers: [SessionsService, SessionsRepository, SessionLimiter, SessionCounters],
  exports: [SessionsService, SessionCounters],
})
export class SessionsModule {}
