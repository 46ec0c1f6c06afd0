import { type CanActivate, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { problem } from '../../common/problem/problem.js';
import type { EnvironmentVariables } from '../../config/env.schema.js';
import { LOCAL_AUTH_DISABLED } from '../user.errors.js';

/** With AUTH_MODE=oidc the identity provider owns sign-in: local register, login and refresh answer 404 local_auth_disabled. */
@Injectable()
export class LocalAuthEnabledGuard implements CanActivate {
  private readonly enabled: boolean;

  constructor(config: ConfigService<EnvironmentVariables, true>) {
    this.enabled = config.get('AUTH_MODE', { infer: true }) !== 'oidc';
  }

  canActivate(): boolean {
    if (!this.enabled) throw problem(LOCAL_AUTH_DISABLED);
    return true;
  }
}
