import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { retentionCron } from '../config/env.js';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { RetentionJob } from './retention.job.js';

const CRON_NAME = 'retention';

/**
 * Runs the retention job on RETENTION_SCHEDULE (cron, UTC) on every instance; the job's lease lets one of
 * them work and the others skip. `off` registers nothing (tests, instances that should never run it).
 */
@Injectable()
export class RetentionSchedule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private readonly cron: string | null;

  constructor(
    private readonly job: RetentionJob,
    private readonly scheduler: SchedulerRegistry,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.cron = retentionCron({ RETENTION_SCHEDULE: config.get('RETENTION_SCHEDULE', { infer: true }) });
  }

  onApplicationBootstrap(): void {
    if (this.cron === null) return;
    const onTick = () => void this.job.run().catch((error: unknown) => this.logger.error({ err: error }, 'retention run failed'));
    this.scheduler.addCronJob(CRON_NAME, CronJob.from({ cronTime: this.cron, onTick, start: true, timeZone: 'UTC' }));
  }

  onModuleDestroy(): void {
    if (!this.scheduler.doesExist('cron', CRON_NAME)) return;
    void this.scheduler.getCronJob(CRON_NAME).stop();
    this.scheduler.deleteCronJob(CRON_NAME);
  }
}
