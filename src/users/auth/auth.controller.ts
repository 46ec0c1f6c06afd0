import { Body, Controller, Header, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthUser } from '../../common/auth/auth-user.js';
import { CurrentUser } from '../../common/decorators/current-user.decorator.js';
import { Public } from '../../common/decorators/public.decorator.js';
import { ApiProblems } from '../../common/swagger/api-problems.decorator.js';
import { AuthResponseDto, LoginDto, RefreshTokenDto, RegisterDto } from '../dto/credentials.dto.js';
import { EMAIL_TAKEN, INVALID_CREDENTIALS, INVALID_REFRESH_TOKEN, LOCAL_AUTH_DISABLED } from '../user.errors.js';
import { AuthService } from './auth.service.js';
import { LocalAuthEnabledGuard } from './local-auth-enabled.guard.js';

// Before each route's own guards, so a disabled route spends no rate limit.
@ApiTags('auth')
@Controller('auth')
@UseGuards(LocalAuthEnabledGuard)
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  // Tokens must never be kept by a browser or proxy cache (RFC 6749 §5.1).
  @Post('register')
  @Header('Cache-Control', 'no-store')
  @Public()
  @UseGuards(ThrottlerGuard)
  @ApiOperation({ summary: 'Create an account and log in' })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiProblems(400, 415, LOCAL_AUTH_DISABLED, EMAIL_TAKEN, 429)
  register(@Body() dto: RegisterDto): Promise<AuthResponseDto> {
    return this.auth.register(dto);
  }

  @Post('login')
  @Header('Cache-Control', 'no-store')
  @Public()
  @UseGuards(ThrottlerGuard)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Log in with email and password' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiProblems(400, INVALID_CREDENTIALS, LOCAL_AUTH_DISABLED, 429)
  login(@Body() dto: LoginDto): Promise<AuthResponseDto> {
    return this.auth.login(dto);
  }

  @Post('refresh')
  @Header('Cache-Control', 'no-store')
  @Public()
  @UseGuards(ThrottlerGuard)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new token pair',
    description: 'Refresh tokens are single use. Presenting one again revokes every token of that login.',
  })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiProblems(400, INVALID_REFRESH_TOKEN, LOCAL_AUTH_DISABLED, 429)
  refresh(@Body() dto: RefreshTokenDto): Promise<AuthResponseDto> {
    return this.auth.refresh(dto.refresh_token);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke the refresh tokens of this login' })
  @ApiNoContentResponse({ description: 'Revoked (also when the token was unknown or already revoked).' })
  @ApiProblems(400, 401, LOCAL_AUTH_DISABLED)
  logout(@CurrentUser() user: AuthUser, @Body() dto: RefreshTokenDto): Promise<void> {
    return this.auth.logout(dto.refresh_token, user.id);
  }
}
