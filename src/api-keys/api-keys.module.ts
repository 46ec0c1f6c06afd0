import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PaginationModule } from '../common/pagination/pagination.module.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeyLookup } from './api-key-lookup.js';
import { ApiKeyStrategy } from './api-key.strategy.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { OnBehalfOf } from './on-behalf-of.js';

/** Service accounts: admins' key management and the passport strategy the global auth guard uses. */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKey]), PaginationModule, PassportModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeyLookup, OnBehalfOf, ApiKeyStrategy],
})
export class ApiKeysModule {}
