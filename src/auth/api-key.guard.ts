import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type ResolvedConfig } from '../config/app-config';
import { problem } from '../common/problem';
import { ApiKeyRegistry } from './api-key-registry';
import { type AuthenticatedRequest, presentedKey } from './caller';
import { type Role, roleAllows } from './roles';
import { PUBLIC_ROUTE, PUBLIC_WHEN, REQUIRED_ROLE } from './route-access';

/**
 * `Authorization: Bearer <key>` with roles. With no keys configured the service
 * only listens on loopback (enforced at start-up) and every route is open.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyRegistry,
    @Inject(APP_CONFIG) private readonly config: ResolvedConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.keys.enabled) return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const publicWhen = this.reflector.getAllAndOverride<(config: ResolvedConfig) => boolean>(PUBLIC_WHEN, targets);
    if (publicWhen?.(this.config)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const required =
      this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'reader' : 'writer');

    const presented = presentedKey(request);
    if (presented === null) {
      throw problem(
        401,
        'unauthorized',
        'Authentication required',
        'send an API key as "Authorization: Bearer <key>"',
        {},
        { 'www-authenticate': 'Bearer realm="opledger"' },
      );
    }
    const key = this.keys.find(presented);
    if (!key) {
      throw problem(
        401,
        'unauthorized',
        'Authentication required',
        'the API key is not valid',
        {},
        { 'www-authenticate': 'Bearer realm="opledger", error="invalid_token"' },
      );
    }
    if (!roleAllows(key.role, required)) {
      throw problem(403, 'forbidden', 'Forbidden', `this route needs the ${required} role; the key has ${key.role}`);
    }
    request.apiKeyName = key.name;
    request.apiKey = key;
    return true;
  }
}
