// Builds the operator console (console/src → dist/console-ui) with esbuild: one minified,
// content-hashed script and stylesheet, and index.html pointing at them. Part of `npm run build`.
// `--watch` rebuilds on change (development).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', 'dist', 'console-ui');
const assetsDir = join(outDir, 'assets');

/** Browsers of the last few years: no transpiling of what they all run natively. */
const TARGET = ['chrome111', 'firefox111', 'safari16.4'];

function writeIndex(outputs) {
  const names = Object.keys(outputs).map((path) => basename(path));
  const script = names.find((name) => /^app-.*\.js$/.test(name));
  const style = names.find((name) => /^app-.*\.css$/.test(name));
  if (!script || !style) throw new Error(`esbuild wrote no app script or stylesheet: ${names.join(', ')}`);
  const html = readFileSync(join(here, 'index.html'), 'utf8')
    .replace('%SCRIPT%', `assets/${script}`)
    .replace('%STYLE%', `assets/${style}`);
  writeFileSync(join(outDir, 'index.html'), html);
  return [script, style];
}

function report(files) {
  let raw = 0;
  let gzipped = 0;
  for (const file of files) {
    const body = readFileSync(join(assetsDir, file));
    raw += body.length;
    gzipped += gzipSync(body, { level: 9 }).length;
  }
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  process.stdout.write(`console: dist/console-ui, ${kib(raw)} (${kib(gzipped)} gzipped)\n`);
  writeFileSync(join(outDir, 'bundle-size.json'), `${JSON.stringify({ files, bytes: raw, gzipBytes: gzipped })}\n`);
}

const options = {
  entryPoints: { app: join(here, 'src', 'main.tsx') },
  bundle: true,
  format: 'esm',
  target: TARGET,
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: assetsDir,
  metafile: true,
  logLevel: 'warning',
  loader: { '.svg': 'file' },
};

rmSync(outDir, { recursive: true, force: true });
mkdirSync(assetsDir, { recursive: true });
writeFileSync(join(assetsDir, 'favicon.svg'), readFileSync(join(here, 'favicon.svg')));

if (process.argv.includes('--watch')) {
  const context = await esbuild.context({
    ...options,
    plugins: [
      {
        name: 'index-html',
        setup(build) {
          build.onEnd((result) => {
            if (result.errors.length === 0 && result.metafile) writeIndex(result.metafile.outputs);
          });
        },
      },
    ],
  });
  await context.watch();
  process.stdout.write('console: watching console/src\n');
} else {
  const result = await esbuild.build(options);
  report(writeIndex(result.metafile.outputs));
}
