import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import globalSetup from '../../support/global-setup';
import { SERVICE_DIST_ENV } from '../../support/service-process';

const ROOT = join(__dirname, '..', '..', '..');

/**
 * The regular infrastructure, plus a private copy of the freshly built service.
 * The suite runs for many minutes and relaunches the service again and again;
 * in a checkout shared with others, dist/ may be rebuilt (and briefly missing)
 * meanwhile. Under node_modules/.cache, the copy still resolves the packages.
 */
export default async function chaosGlobalSetup(): Promise<void> {
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'main.js'))) throw new Error(`${dist}/main.js is missing: run "npm run build" first`);
  const snapshot = join(ROOT, 'node_modules', '.cache', 'opledger-chaos', `dist-${process.pid}`);
  mkdirSync(snapshot, { recursive: true });
  cpSync(dist, snapshot, { recursive: true });
  process.env[SERVICE_DIST_ENV] = snapshot;
  await globalSetup();
}
