import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { EnvironmentVariables } from '../../config/env.schema.js';
import { problem, unauthorized } from '../../common/problem/problem.js';
import type { AuthResponseDto, LoginDto, RegisterDto } from '../dto/credentials.dto.js';
import { toUserResponse } from '../dto/user-response.dto.js';
import { INVALID_CREDENTIALS } from '../user.errors.js';
import type { User } from '../user.entity.js';
import { UsersService } from '../users.service.js';
import { PasswordHasher } from './password-hasher.js';
import { RefreshTokensService } from './refresh-tokens.service.js';

export interface AccessTokenClaims {
  sub: string;
  role: User['role'];
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly refreshTokens: RefreshTokensService,
    private readonly jwt: JwtService,
    private readonly config: ConfigService<EnvironmentVariables, true>,
  ) {}

  async register(dto: RegisterDto): Promise<AuthResponseDto> {
    const user = await this.users.create(dto.email, dto.password, dto.display_name ?? null);
    return this.respond(user, await this.refreshTokens.issueFamily(user.id));
  }

  /** Unknown email and wrong password get the same answer after the same amount of hashing work. */
  async login(dto: LoginDto): Promise<AuthResponseDto> {
    const user = await this.users.findByEmailWithPassword(dto.email);
    const valid = user ? await this.hasher.verify(dto.password, user.passwordHash) : await this.hasher.verifyNothing(dto.password);
    if (!user || !valid) {
      throw problem(INVALID_CREDENTIALS);
    }
    return this.respond(user, await this.refreshTokens.issueFamily(user.id));
  }

  async refresh(presented: string): Promise<AuthResponseDto> {
    const { userId, refreshToken } = await this.refreshTokens.rotate(presented);
    const user = await this.users.findById(userId);
    if (!user) throw unauthorized('This account no longer exists.');
    return this.respond(user, refreshToken);
  }

  logout(presented: string, userId: string): Promise<void> {
    return this.refreshTokens.revokeFamily(presented, userId);
  }

  private async respond(user: User, refreshToken: string): Promise<AuthResponseDto> {
    const claims: AccessTokenClaims = { sub: user.id, role: user.role };
    return {
      user: toUserResponse(user),
      access_token: await this.jwt.signAsync(claims),
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: this.config.get('JWT_ACCESS_TTL_SECONDS', { infer: true }),
    };
  }
}
