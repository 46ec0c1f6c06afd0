import { Module } from '@nestjs/common';
import { ErasureModule } from '../erasure/erasure.module.js';
import { RetentionJob } from './retention.job.js';
import { RetentionSchedule } from './retention.schedule.js';
import { RetentionStore } from './retention.store.js';

/**
 * Retention: purges old soft-deleted sessions and deletes or anonymizes old inactive ones, on a schedule
 * (RetentionSchedule) or by hand (`npm run retention`). It speaks SQL to chat_sessions and chat_messages
 * (RetentionStore) and hands erasures to ErasureModule, so it imports no feature module.
 */
@Module({
  imports: [ErasureModule],
  providers: [RetentionJob, RetentionSchedule, RetentionStore],
  exports: [RetentionJob],
})
export class RetentionModule {}
