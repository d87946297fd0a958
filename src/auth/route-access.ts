import { SetMetadata } from '@nestjs/common';
import type { ResolvedConfig } from '../config/app-config';
import type { Role } from './roles';

// Route decorators, apart from the roles themselves: the configuration imports the roles (API_KEYS
// names them), and these decorators import the configuration, so one file holding both was a cycle.

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
