import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error';
import { ROLES, type Role } from './roles';

export interface ApiKey {
  /** A name for logs and metrics; the key itself is never logged. */
  name: string;
  role: Role;
  digest: Buffer;
  /** Where it was configured: API_KEYS is fixed at start-up, API_KEYS_FILE is re-read (ApiKeyRegistry). */
  source: ApiKeySource;
}

export type ApiKeySource = 'API_KEYS' | 'API_KEYS_FILE';

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Keys come as `role:secret` entries, comma- or newline-separated, from
 * API_KEYS and/or the file named by API_KEYS_FILE (lines starting with # are comments).
 */
export function parseApiKeys(env: Record<string, string | undefined>): ApiKey[] {
  const sources: { variable: ApiKeySource; text: string }[] = [];
  if (env.API_KEYS) sources.push({ variable: 'API_KEYS', text: env.API_KEYS });
  if (env.API_KEYS_FILE) sources.push({ variable: 'API_KEYS_FILE', text: readApiKeysFile(env.API_KEYS_FILE) });
  return parseApiKeySources(sources);
}

function readApiKeysFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('API_KEYS_FILE', `cannot be read: ${(error as Error).message}`);
  }
}

/**
 * The keys again after API_KEYS_FILE changed: the ones from API_KEYS (fixed at
 * start-up) and the file's current ones. Throws a ConfigError for a file that
 * cannot be read or holds a bad entry.
 */
export function reloadApiKeys(current: readonly ApiKey[], file: string): ApiKey[] {
  const fixed = current.filter((key) => key.source === 'API_KEYS');
  return parseApiKeySources([{ variable: 'API_KEYS_FILE', text: readApiKeysFile(file) }], fixed);
}

function parseApiKeySources(
  sources: { variable: ApiKeySource; text: string }[],
  fixed: readonly ApiKey[] = [],
): ApiKey[] {
  const keys: ApiKey[] = [...fixed];
  for (const { variable, text } of sources) {
    const entries = text
      .split(/[\n,]/)
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0 && !entry.startsWith('#'));
    for (const entry of entries) {
      const separator = entry.indexOf(':');
      const role = entry.slice(0, separator) as Role;
      const secret = entry.slice(separator + 1);
      if (separator < 0 || !ROLES.includes(role)) {
        throw new ConfigError(variable, `entries must be role:key with role one of ${ROLES.join(', ')}`);
      }
      if (secret.length < 16) throw new ConfigError(variable, `a ${role} key is shorter than 16 characters`);
      keys.push({
        name: `${role}#${keys.filter((k) => k.role === role).length + 1}`,
        role,
        digest: digest(secret),
        source: variable,
      });
    }
  }
  return keys;
}

/** Constant-time lookup: every configured key is compared, whatever matches first. */
export function findApiKey(keys: readonly ApiKey[], presented: string): ApiKey | null {
  const candidate = digest(presented);
  let found: ApiKey | null = null;
  for (const key of keys) {
    if (timingSafeEqual(key.digest, candidate) && found === null) found = key;
  }
  return found;
}
