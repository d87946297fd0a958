import { rmSync } from 'node:fs';
import globalTeardown from '../../support/global-teardown';
import { SERVICE_DIST_ENV } from '../../support/service-process';

export default async function chaosGlobalTeardown(): Promise<void> {
  await globalTeardown();
  const snapshot = process.env[SERVICE_DIST_ENV];
  if (snapshot) rmSync(snapshot, { recursive: true, force: true });
}
