import { SetMetadata } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config';

export const ROLES = ['reader', 'writer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Each role includes the ones before it: a writer may read, an admin may do everything. */
const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

export function roleAllows(granted: Role, required: Role): boolean {
  return RANK[granted] >= RANK[required];
}

export const REQUIRED_ROLE = 'opledger:required-role';
export const PUBLIC_ROUTE = 'opledger:public-route';

/**
 * The least role a route needs. Routes without it need `reader` for GET/HEAD
 * and `writer` for anything else.
 */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

/** Open to everyone even when API keys are configured (health probes). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export const PUBLIC_WHEN = 'opledger:public-when';

/** Open to everyone when the configuration says so (e.g. METRICS_PUBLIC), else the usual role rules. */
export const PublicWhen = (isPublic: (config: ResolvedConfig) => boolean) => SetMetadata(PUBLIC_WHEN, isPublic);
