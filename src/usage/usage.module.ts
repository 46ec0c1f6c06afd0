import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PaginationModule } from '../common/pagination/pagination.module.js';
import { QuotaService } from './quota.service.js';
import { UsageDay } from './usage-day.entity.js';
import { AdminUsageController, UsageController } from './usage.controller.js';
import { UsageRepository } from './usage.repository.js';
import { UsageService } from './usage.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([UsageDay]), PaginationModule],
  controllers: [UsageController, AdminUsageController],
  providers: [UsageService, QuotaService, UsageRepository],
  exports: [QuotaService],
})
export class UsageModule {}
