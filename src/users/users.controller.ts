import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { ApiProblems } from '../common/swagger/api-problems.decorator.js';
import { UpdateMeDto } from './dto/update-user.dto.js';
import { toUserResponse, UserResponseDto } from './dto/user-response.dto.js';
import { LAST_ADMIN } from './user.errors.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'The current user' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(401)
  async me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return toUserResponse(await this.users.getSelf(user.id));
  }

  @Patch()
  @ApiOperation({ summary: 'Update display name or avatar' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiProblems(400, 401)
  async update(@CurrentUser() user: AuthUser, @Body() dto: UpdateMeDto): Promise<UserResponseDto> {
    return toUserResponse(await this.users.updateProfile(user.id, dto));
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete the account and erase all its sessions, messages and usage',
    description:
      'At once: the account can no longer log in or refresh, its email is free to register again, and nothing of it can be ' +
      'read on the primary; its access tokens stop working at once on the instance that answered, within ' +
      'AUTH_ACCOUNT_CHECK_TTL_MS (1 s) on the others. Its rows are erased in the background, in batches.',
  })
  @ApiNoContentResponse({ description: 'Erased.' })
  @ApiProblems(401, LAST_ADMIN)
  async remove(@CurrentUser() user: AuthUser): Promise<void> {
    await this.users.remove(user.id);
  }
}
