import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyRegistry } from '../../src/auth/api-key-registry';
import { loadConfig, type ResolvedConfig } from '../../src/config/app-config';

const SECRET = { a: 'reader-a-0123456789abcdef', b: 'reader-b-0123456789abcdef', fixed: 'admin-0123456789abcdef' };

function registry(fileText: string, env: Record<string, string> = {}): { keys: ApiKeyRegistry; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'opledger-keys-')), 'keys');
  writeFileSync(file, fileText);
  const config = loadConfig({ API_KEYS_FILE: file, ...env }) as ResolvedConfig;
  return { keys: new ApiKeyRegistry(config), file };
}

describe('ApiKeyRegistry.reload', () => {
  it('applies added and removed keys, keeps the API_KEYS ones, and tells its listeners', () => {
    const { keys, file } = registry(`reader:${SECRET.a}\n`, { API_KEYS: `admin:${SECRET.fixed}` });
    const a = keys.find(SECRET.a)!;
    const seen: number[] = [];
    keys.onChange((current) => seen.push(current.length));
    writeFileSync(file, `reader:${SECRET.b}\n`);
    expect(keys.reload('SIGHUP')).toBe(true);
    expect(keys.find(SECRET.a)).toBeNull();
    expect(keys.isValid(a)).toBe(false);
    expect(keys.find(SECRET.b)?.role).toBe('reader');
    expect(keys.find(SECRET.fixed)?.role).toBe('admin');
    expect(seen).toEqual([2]);
  });

  it.each([
    ['a bad entry', `guest:${SECRET.b}\n`],
    ['a short key', 'reader:short\n'],
    ['no key at all (authentication would turn off)', '# empty\n'],
  ])('keeps the keys in force for a file with %s', (_, text) => {
    const { keys, file } = registry(`reader:${SECRET.a}\n`);
    const seen: unknown[] = [];
    keys.onChange((current) => seen.push(current));
    writeFileSync(file, text);
    expect(keys.reload('SIGHUP')).toBe(false);
    expect(keys.find(SECRET.a)?.role).toBe('reader');
    expect(seen).toEqual([]);
  });

  it('keeps the keys in force when the file is gone', () => {
    const { keys, file } = registry(`reader:${SECRET.a}\n`);
    rmSync(file);
    expect(keys.reload('SIGHUP')).toBe(false);
    expect(keys.find(SECRET.a)?.role).toBe('reader');
  });

  it('has nothing to reload without API_KEYS_FILE', () => {
    const keys = new ApiKeyRegistry(loadConfig({ API_KEYS: `reader:${SECRET.a}` }) as ResolvedConfig);
    expect(keys.reload('SIGHUP')).toBe(false);
    expect(keys.find(SECRET.a)).not.toBeNull();
  });
});
