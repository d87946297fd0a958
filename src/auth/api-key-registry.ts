import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { APP_CONFIG, type ResolvedConfig } from '../config/app-config';
import { type ApiKey, findApiKey, reloadApiKeys } from './api-keys';

/** How often API_KEYS_FILE is checked for a change (stat polling: also sees a file replaced or a symlink swapped). */
const FILE_CHECK_INTERVAL_MS = 1000;

export type ApiKeysListener = (keys: readonly ApiKey[]) => void;

/**
 * The API keys in force. They start as configured (API_KEYS and API_KEYS_FILE)
 * and the file is read again on SIGHUP (main.ts) and whenever it changes, so a
 * key can be added or revoked without a restart. Listeners (the watch streams)
 * hear of every change, to end what a revoked key had opened.
 *
 * A reload that cannot be applied keeps the keys in force: a file that cannot
 * be read or holds a bad entry, or one that would leave no key at all (which
 * would turn authentication off).
 */
@Injectable()
export class ApiKeyRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Auth');
  private keys: readonly ApiKey[];
  private readonly listeners = new Set<ApiKeysListener>();
  private readonly onFileChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size || current.ino !== previous.ino) {
      this.reload('API_KEYS_FILE changed');
    }
  };

  constructor(@Inject(APP_CONFIG) private readonly config: ResolvedConfig) {
    this.keys = config.apiKeys;
  }

  /** Whether authentication is on (at least one key). */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  get current(): readonly ApiKey[] {
    return this.keys;
  }

  /** The configured key matching a presented secret (constant time), or null. */
  find(presented: string): ApiKey | null {
    return findApiKey(this.keys, presented);
  }

  /** Whether a key found earlier is still configured. */
  isValid(key: ApiKey): boolean {
    return this.keys.some((candidate) => candidate.digest.equals(key.digest));
  }

  /** Calls `listener` after every change of the keys; returns the unsubscribe function. */
  onChange(listener: ApiKeysListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads API_KEYS_FILE again; true when the new keys are in force. */
  reload(trigger: string): boolean {
    const file = this.config.apiKeysFile;
    if (!file) {
      this.logger.warn(`${trigger}: no API_KEYS_FILE to reload (keys from API_KEYS change only with a restart)`);
      return false;
    }
    let keys: ApiKey[];
    try {
      keys = reloadApiKeys(this.keys, file);
    } catch (error) {
      this.logger.error(
        `${trigger}: API keys not reloaded, the previous ones stay in force: ${(error as Error).message}`,
      );
      return false;
    }
    if (keys.length === 0 && this.keys.length > 0) {
      this.logger.error(
        `${trigger}: API_KEYS_FILE now holds no key, which would turn authentication off; the previous keys stay in force`,
      );
      return false;
    }
    const removed = this.keys.filter((key) => !keys.some((kept) => kept.digest.equals(key.digest))).length;
    const added = keys.filter((key) => !this.keys.some((old) => old.digest.equals(key.digest))).length;
    this.keys = keys;
    this.logger.log(`${trigger}: API keys reloaded: ${keys.length} in force, ${added} added, ${removed} revoked`);
    for (const listener of [...this.listeners]) listener(keys);
    return true;
  }

  onApplicationBootstrap(): void {
    if (this.config.apiKeysFile) {
      watchFile(this.config.apiKeysFile, { interval: FILE_CHECK_INTERVAL_MS, persistent: false }, this.onFileChange);
    }
  }

  onApplicationShutdown(): void {
    if (this.config.apiKeysFile) unwatchFile(this.config.apiKeysFile, this.onFileChange);
    this.listeners.clear();
  }
}
