import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { AdminExportController, ExportController } from './export.controller.js';
import { ExportRepository } from './export.repository.js';
import { ExportService } from './export.service.js';

/** GET /users/me/export and GET /users/{id}/export: an account as streamed NDJSON. */
@Module({
  imports: [UsersModule],
  controllers: [ExportController, AdminExportController],
  providers: [ExportService, ExportRepository],
})
export class ExportModule {}
