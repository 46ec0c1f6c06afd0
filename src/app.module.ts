import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { PerUserConcurrencyInterceptor } from './common/concurrency/per-user-concurrency.interceptor.js';
import { JwtAuthGuard } from './common/guards/jwt-auth.guard.js';
import { RolesGuard } from './common/guards/roles.guard.js';
import { ServiceAccountGuard } from './common/guards/service-account.guard.js';
import { httpLoggerParams } from './common/logging/logger.js';
import type { Env } from './config/env.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { ChatModule } from './chat/chat.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ExportModule } from './export/export.module.js';
import { RowSecurityInterceptor } from './database/row-security/row-security.interceptor.js';
import { HealthModule } from './health/health.module.js';
import { RetentionModule } from './retention/retention.module.js';
import { ImportModule } from './import/import.module.js';
import { SessionDetailsModule } from './session-details/session-details.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { UsageModule } from './usage/usage.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  /** `env` is validated before Nest starts; the config store holds exactly it, never raw process.env. */
  static forRoot(env: Env, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          skipProcessEnv: true,
          load: [() => ({ ...env })],
        }),
        LoggerModule.forRoot(httpLoggerParams(logger)),
        DatabaseModule,
        ScheduleModule.forRoot(),
        HealthModule,
        UsersModule,
        ApiKeysModule,
        SessionsModule,
        SessionDetailsModule,
        UsageModule,
        ChatModule,
        RetentionModule,
        ExportModule,
        ImportModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: ServiceAccountGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_INTERCEPTOR, useClass: RowSecurityInterceptor },
        { provide: APP_INTERCEPTOR, useClass: PerUserConcurrencyInterceptor },
      ],
    };
  }
}
