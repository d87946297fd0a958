import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tailLines } from './log-tail';

// The broker's jars: fetched from Maven Central once (infra/kafka/pom.xml) and cached.

const KAFKA_JAR_PATTERN = /^kafka_2\.13-.*\.jar$/;

/** The folder holding package.json, found from this file so it works from src/ and from dist/. */
function findRepoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export function defaultCacheDir(): string {
  return path.join(findRepoRoot(), '.cache', 'kafka');
}

function kafkaPomPath(): string {
  return path.join(findRepoRoot(), 'infra', 'kafka', 'pom.xml');
}

/** Marker written only after Maven finished; it records the pom's hash so a pom change refetches. */
const COMPLETE_MARKER = '.complete';

function isCompleteLibsDir(libsDir: string, pomHash: string): boolean {
  try {
    const marker = fs.readFileSync(path.join(libsDir, COMPLETE_MARKER), 'utf8').trim();
    return marker === pomHash && fs.readdirSync(libsDir).some((f) => KAFKA_JAR_PATTERN.test(f));
  } catch {
    return false;
  }
}

/**
 * Makes sure the broker jars are in `<cacheDir>/libs` and returns that folder. Maven runs only on
 * a cold (or stale, or half-finished) cache. Downloads go to a private temporary folder that is
 * renamed into place, so parallel callers (e.g. Jest workers) never see a partial classpath.
 */
export async function ensureKafkaJars(
  cacheDir: string = defaultCacheDir(),
  log: (line: string) => void = () => {},
): Promise<string> {
  const pomPath = kafkaPomPath();
  const pomHash = createHash('sha256').update(fs.readFileSync(pomPath)).digest('hex');
  const libsDir = path.join(cacheDir, 'libs');
  if (isCompleteLibsDir(libsDir, pomHash)) return libsDir;

  fs.mkdirSync(cacheDir, { recursive: true });
  const stagingDir = path.join(cacheDir, `libs.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  log(`[local-kafka] fetching Kafka jars with Maven into ${libsDir} (first run only)`);
  const startedAt = Date.now();
  try {
    await runMaven([
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      pomPath,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${stagingDir}`,
    ]);
    if (!fs.readdirSync(stagingDir).some((f) => KAFKA_JAR_PATTERN.test(f))) {
      throw new Error(`Maven finished but no kafka_2.13 jar is in ${stagingDir}`);
    }
    fs.writeFileSync(path.join(stagingDir, COMPLETE_MARKER), `${pomHash}\n`);
    installStagedLibs(stagingDir, libsDir, pomHash);
  } finally {
    fs.rmSync(stagingDir, { recursive: true, force: true });
  }
  log(`[local-kafka] Kafka jars ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return libsDir;
}

function installStagedLibs(stagingDir: string, libsDir: string, pomHash: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.renameSync(stagingDir, libsDir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      // Another process installed a complete set meanwhile: use theirs.
      if (isCompleteLibsDir(libsDir, pomHash)) return;
      // A stale or half-finished folder from an earlier run: replace it.
      fs.rmSync(libsDir, { recursive: true, force: true });
    }
  }
  throw new Error(`could not move the Kafka jars into ${libsDir}`);
}

function runMaven(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      // Keep only the end: that is where Maven explains a failure.
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new Error('Maven (`mvn`) is not on PATH; it is needed once to fetch the Kafka jars')
          : err,
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`Maven failed (${signal ?? `exit ${code}`}) fetching the Kafka jars:\n${tailLines(output, 40)}`),
        );
    });
  });
}
