import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { Roles } from '../common/decorators/roles.decorator.js';
import { UuidParam } from '../common/dto/uuid-param.dto.js';
import type { PageEnvelope } from '../common/pagination/pagination.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { API_KEY_NOT_FOUND } from './api-key.errors.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyPageDto, ApiKeyResponseDto, CreateApiKeyDto, CreatedApiKeyDto, ListApiKeysQueryDto } from './dto/api-key.dto.js';

/** Admin-only: an API key, even one acting for an admin, has role `user` and cannot manage keys. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Create an API key for a service account (admin)',
    description: 'The response is the only place the key ever appears; the service keeps only its SHA-256 digest.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(400, 401, 403)
  create(@CurrentUser() admin: AuthUser, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(admin, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List API keys, newest first, revoked ones included (admin)' })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiProblems(400, 401, 403)
  list(@Query() query: ListApiKeysQueryDto): Promise<PageEnvelope<ApiKeyResponseDto>> {
    return this.keys.list(query);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Revoke an API key (admin)',
    description:
      'The key answers 401 at once on this instance and within API_KEY_CHECK_TTL_MS (1 s) on the others. It stays listed with `revoked_at`; revoking it again is a no-op.',
  })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiProblems(400, 401, 403, API_KEY_NOT_FOUND)
  async revoke(@CurrentUser() admin: AuthUser, @Param() { id }: UuidParam): Promise<void> {
    await this.keys.revoke(admin, id);
  }
}
