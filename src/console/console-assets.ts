import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the built console, held in memory with its gzip form. */
export interface ConsoleAsset {
  body: Buffer;
  /** Null when gzip does not make it smaller (images). */
  gzipped: Buffer | null;
  contentType: string;
  /** Content-hashed names (assets/app-XXXX.js) never change: browsers may keep them for a year. */
  immutable: boolean;
}

export interface ConsoleBuild {
  index: ConsoleAsset;
  /** By file name under assets/. */
  assets: ReadonlyMap<string, ConsoleAsset>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

/** Where `npm run build` writes the console: dist/console-ui, next to dist/console (this module, built). */
export function consoleBuildDirs(moduleDir: string): string[] {
  return [
    join(moduleDir, '..', 'console-ui'),
    // Under ts-jest / ts-node this module runs from src/console: the build is still in dist/.
    join(moduleDir, '..', '..', 'dist', 'console-ui'),
  ];
}

function asset(path: string, immutable: boolean): ConsoleAsset {
  const body = readFileSync(path);
  const extension = path.slice(path.lastIndexOf('.'));
  const gzipped = gzipSync(body, { level: 9 });
  return {
    body,
    gzipped: gzipped.length < body.length * 0.9 ? gzipped : null,
    contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    immutable,
  };
}

/**
 * Reads the built console once at start-up (a few small files: serving them from memory
 * costs nothing per request and needs no static-file plugin). Null when it was not built.
 */
export function loadConsoleBuild(dirs: readonly string[]): ConsoleBuild | null {
  const dir = dirs.find((candidate) => existsSync(join(candidate, 'index.html')));
  if (dir === undefined) return null;
  const assets = new Map<string, ConsoleAsset>();
  const assetsDir = join(dir, 'assets');
  if (existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) {
      if (CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] === undefined) continue;
      assets.set(name, asset(join(assetsDir, name), /-[A-Z0-9]{8,}\.[a-z]+$/.test(name)));
    }
  }
  return { index: asset(join(dir, 'index.html'), false), assets };
}
