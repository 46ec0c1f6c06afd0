import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { UsersService } from './users.service.js';

/**
 * ADMIN_EMAIL + ADMIN_PASSWORD at start create that admin, or promote the existing account if ADMIN_PASSWORD is
 * its password; otherwise the start fails (AdminTakeoverRefused names the fix).
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    private readonly users: UsersService,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const email = this.config.get('ADMIN_EMAIL', { infer: true });
    const password = this.config.get('ADMIN_PASSWORD', { infer: true });
    if (!email || !password) return;
    const outcome = await this.users.ensureAdmin(email, password);
    if (outcome !== 'unchanged') this.logger.log(`Admin account ${outcome} from ADMIN_EMAIL`);
  }
}
