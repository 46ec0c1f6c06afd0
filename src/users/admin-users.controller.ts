import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator.js';
import { UuidParam } from '../common/dto/uuid-param.dto.js';
import type { PageEnvelope } from '../common/pagination/pagination.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { AdminUpdateUserDto, ListUsersQueryDto } from './dto/update-user.dto.js';
import { AdminUserResponseDto, toAdminUserResponse, UserPageDto } from './dto/user-response.dto.js';
import { LAST_ADMIN, USER_NOT_FOUND } from './user.errors.js';
import { UsersService } from './users.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('users')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users, newest first (admin)' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiProblems(400, 401, 403)
  list(@Query() query: ListUsersQueryDto): Promise<PageEnvelope<AdminUserResponseDto>> {
    return this.users.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user (admin)' })
  @ApiOkResponse({ type: AdminUserResponseDto })
  @ApiProblems(400, 401, 403, USER_NOT_FOUND)
  async get(@Param() { id }: UuidParam): Promise<AdminUserResponseDto> {
    return toAdminUserResponse(await this.users.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change a user's role or daily quotas (admin)" })
  @ApiOkResponse({ type: AdminUserResponseDto })
  @ApiProblems(400, 401, 403, USER_NOT_FOUND, LAST_ADMIN)
  async update(@Param() { id }: UuidParam, @Body() dto: AdminUpdateUserDto): Promise<AdminUserResponseDto> {
    return toAdminUserResponse(await this.users.adminUpdate(id, dto));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a user and erase all their data (admin)' })
  @ApiNoContentResponse({ description: 'Erased.' })
  @ApiProblems(400, 401, 403, USER_NOT_FOUND, LAST_ADMIN)
  async remove(@Param() { id }: UuidParam): Promise<void> {
    await this.users.remove(id);
  }
}
