import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { UsersService } from '../users/users.service.js';
import { ExportLines } from './export-lines.js';
import { ExportRepository } from './export.repository.js';

/**
 * Opens an account's export: the account is read (and a missing one refused) before the first byte, so
 * those answers are ordinary problem responses; the lines are then read batch by batch as the client
 * takes them.
 */
@Injectable()
export class ExportService {
  private readonly batchSize: number;

  constructor(
    private readonly users: UsersService,
    private readonly repository: ExportRepository,
    config: ConfigService<EnvironmentVariables, true>,
  ) {
    this.batchSize = config.get('EXPORT_BATCH_SIZE', { infer: true });
  }

  /** The caller's own account (gone: 401, as for /users/me). */
  async ofSelf(userId: string): Promise<ExportLines> {
    return new ExportLines(this.repository, await this.users.getSelf(userId), this.batchSize);
  }

  /** Any account, for an admin (unknown or erased: 404 user_not_found). */
  async ofUser(userId: string): Promise<ExportLines> {
    return new ExportLines(this.repository, await this.users.get(userId), this.batchSize);
  }
}
