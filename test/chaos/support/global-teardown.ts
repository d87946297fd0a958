import { rmSync } from 'node:fs';
import globalTeardown from '../../support/global-teardown';
import { CHAOS_DIST_ENV } from './chaos-service';

export default async function chaosGlobalTeardown(): Promise<void> {
  await globalTeardown();
  const snapshot = process.env[CHAOS_DIST_ENV];
  if (snapshot) rmSync(snapshot, { recursive: true, force: true });
}
