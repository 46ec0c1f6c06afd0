import { Module } from '@nestjs/common';
import { ErasureWorker } from './erasure.worker.js';
import { ErasuresService } from './erasures.service.js';

/**
 * Erasure of any size: feature modules hide the data and queue the erasure in one transaction
 * (ErasuresService); the worker deletes the rows in batches. It speaks SQL to the tables it empties and
 * imports none of their modules, so any module can depend on it.
 */
@Module({
  providers: [ErasureWorker, ErasuresService],
  exports: [ErasuresService],
})
export class ErasureModule {}
