import { Module } from '@nestjs/common';
import { PgThrottlerStorage } from './pg-throttler.storage.js';

@Module({ providers: [PgThrottlerStorage], exports: [PgThrottlerStorage] })
export class RateLimitModule {}
