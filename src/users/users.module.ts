import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { EnvironmentVariables } from '../config/env.schema.js';
import { jwtSecret } from '../config/jwt-secret.js';
import { PgThrottlerStorage } from '../common/rate-limit/pg-throttler.storage.js';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module.js';
import { PaginationModule } from '../common/pagination/pagination.module.js';
import { ErasureModule } from '../erasure/erasure.module.js';
import { AdminUsersController } from './admin-users.controller.js';
import { AdminBootstrap } from './admin-bootstrap.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthService } from './auth/auth.service.js';
import { JWT_ALGORITHM, JwtStrategy } from './auth/jwt.strategy.js';
import { OidcStrategy } from './auth/oidc/oidc.strategy.js';
import { ExternalIdentities } from './external-identities.service.js';
import { PasswordHasher } from './auth/password-hasher.js';
import { RefreshToken } from './auth/refresh-token.entity.js';
import { RefreshTokensService } from './auth/refresh-tokens.service.js';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { LiveAccounts } from '../common/auth/live-accounts.js';
import { UsersService } from './users.service.js';

type Config = ConfigService<EnvironmentVariables, true>;

@Module({
  imports: [
    TypeOrmModule.forFeature([User, RefreshToken]),
    PaginationModule,
    ErasureModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: Config) => ({
        secret: jwtSecret(config),
        signOptions: {
          algorithm: JWT_ALGORITHM,
          expiresIn: config.get('JWT_ACCESS_TTL_SECONDS', { infer: true }),
          issuer: config.get('JWT_ISSUER', { infer: true }),
          audience: config.get('JWT_AUDIENCE', { infer: true }),
        },
        verifyOptions: { algorithms: [JWT_ALGORITHM] },
      }),
    }),
    // Applied with @UseGuards(ThrottlerGuard) on register, login and refresh only; 0 turns it off.
    ThrottlerModule.forRootAsync({
      imports: [RateLimitModule],
      inject: [ConfigService, PgThrottlerStorage],
      useFactory: (config: Config, storage: PgThrottlerStorage) => {
        const limit = config.get('AUTH_RATE_LIMIT_PER_MINUTE', { infer: true });
        return { throttlers: [{ name: 'default', ttl: 60_000, limit }], storage, skipIf: () => limit === 0 };
      },
    }),
  ],
  controllers: [AuthController, UsersController, AdminUsersController],
  providers: [
    UsersService,
    LiveAccounts,
    AuthService,
    RefreshTokensService,
    JwtStrategy,
    OidcStrategy,
    ExternalIdentities,
    AdminBootstrap,
    {
      provide: PasswordHasher,
      inject: [ConfigService],
      useFactory: (config: Config) =>
        new PasswordHasher({
          concurrency:
            config.get('PASSWORD_HASH_CONCURRENCY', { infer: true }) ??
            Math.max(1, (config.get('UV_THREADPOOL_SIZE', { infer: true }) ?? 4) - 1),
          queueMs: config.get('PASSWORD_HASH_QUEUE_MS', { infer: true }),
        }),
    },
  ],
  // The global JwtAuthGuard asks LiveAccounts whether a token's account still exists; the export reads the account.
  exports: [LiveAccounts, UsersService],
})
export class UsersModule {}
