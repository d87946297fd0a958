import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** A source file as the checks see it: its path from the repository root (with '/') and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/**
 * Every .ts/.tsx file under `dir` (a path from the repository root), with its text. `overrides`
 * replaces or adds files by path, so that a test can plant a violation without touching the tree.
 */
export function sourceFiles(dir: string, overrides: Record<string, string> = {}, root = REPO_ROOT): SourceFile[] {
  const files = new Map<string, string>();
  const walk = (absolute: string) => {
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      const child = join(absolute, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.set(relative(root, child).split(sep).join('/'), readFileSync(child, 'utf8'));
      }
    }
  };
  walk(join(root, dir));
  for (const [path, text] of Object.entries(overrides)) files.set(path, text);
  return [...files].map(([path, text]) => ({ path, text })).sort((a, b) => (a.path < b.path ? -1 : 1));
}
