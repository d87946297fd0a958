/**
 * A real single-node Apache Kafka broker (KRaft, combined broker+controller, no ZooKeeper)
 * for tests, `npm start` and benchmarks, without Docker.
 *
 * The broker jars come from Maven Central through infra/kafka/pom.xml and are cached under
 * <repo root>/.cache/kafka/libs; the broker runs as a child `java` process whose data, config
 * and logs all live under the caller's dataDir.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { findFreePort } from './free-port';

export interface LocalKafkaOptions {
  /** Holds server.properties, the KRaft log dir and the broker's logs. Reused across restarts. */
  dataDir: string;
  /** Where the Maven-fetched jars are cached; defaults to <repo root>/.cache/kafka. */
  cacheDir?: string;
  /** Broker (PLAINTEXT) port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  log?: (line: string) => void;
  /** How long the broker may take to answer after the JVM is spawned (not counting Maven). */
  startTimeoutMs?: number;
}

export interface LocalKafka {
  /** Bootstrap address for clients, e.g. "127.0.0.1:39092". */
  brokers: string;
  pid: number;
  /** Graceful shutdown (SIGTERM, SIGKILL after a deadline); resolves once the JVM has exited. */
  stop(): Promise<void>;
}

const KAFKA_MAIN_CLASS = 'kafka.Kafka';
const STORAGE_TOOL_CLASS = 'kafka.tools.StorageTool';
const KAFKA_JAR_PATTERN = /^kafka_2\.13-.*\.jar$/;
const DEFAULT_START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 20_000;
const READINESS_POLL_MS = 250;
const LOG_TAIL_LINES = 60;

/** JVM flags that the Kafka scripts would take from KAFKA_HEAP_OPTS / KAFKA_JVM_PERFORMANCE_OPTS. */
const JVM_FLAGS = [
  '-Xms256m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:+ExplicitGCInvokesConcurrent',
  // A broker that ran out of heap is useless; dying makes the failure visible to the caller.
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

// ---------------------------------------------------------------------------------------------
// Jars
// ---------------------------------------------------------------------------------------------

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

function defaultCacheDir(): string {
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

// ---------------------------------------------------------------------------------------------
// Broker
// ---------------------------------------------------------------------------------------------

function javaExecutable(): string {
  const javaHome = process.env['JAVA_HOME'];
  const fromJavaHome = javaHome && path.join(javaHome, 'bin', 'java');
  const java = fromJavaHome && fs.existsSync(fromJavaHome) ? fromJavaHome : 'java';
  const probe = spawnSync(java, ['-version'], { stdio: 'ignore' });
  if (probe.error) {
    throw new Error(
      `Java is needed to run the local Kafka broker but \`${java}\` could not be run: ${probe.error.message}`,
    );
  }
  return java;
}

/** A KRaft cluster id: 16 random bytes in URL-safe base64, not starting with '-' (a CLI flag). */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties(brokerPort: number, controllerPort: number, kraftLogDir: string): string {
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${brokerPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': kraftLogDir,

    // One node: every replication factor and ISR minimum has to be 1.
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    // Fewer internal partitions than the default 50: faster first group join and startup.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,

    'auto.create.topics.enable': true,
    'delete.topic.enable': true,
    // Consumers in tests join one at a time; don't hold the first rebalance for 3 s.
    'group.initial.rebalance.delay.ms': 0,

    // After an unclean stop (SIGKILL) the restarted broker's registration is refused as a
    // duplicate until the old incarnation's session expires: 9 s by default, 4 s here.
    'broker.session.timeout.ms': 4_000,
    'broker.heartbeat.interval.ms': 1_000,

    // Small segments and a small cleaner buffer keep disk and heap use modest.
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    'log.retention.hours': 24,
    'log.retention.check.interval.ms': 60_000,
  };
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${value}`);
  return `# Generated by src/local-infra/local-kafka.ts on every start; edits are overwritten.\n${lines.join('\n')}\n`;
}

function log4jProperties(brokerLogFile: string): string {
  // Forward slashes: log4j reads this file as Java properties, where '\' is an escape.
  const file = brokerLogFile.split(path.sep).join('/');
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${file}`,
    'log4j.appender.file.MaxFileSize=20MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // The request log and per-partition state changes drown everything else at INFO.
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.state.change.logger=WARN',
    'log4j.logger.kafka.log.LogCleaner=WARN',
    'log4j.logger.org.apache.kafka.storage.internals.log.LogCleaner=WARN',
    '',
  ].join('\n');
}

function tailLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

function tailOfFile(file: string, count: number): string {
  try {
    const { size } = fs.statSync(file);
    const fd = fs.openSync(file, 'r');
    try {
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      fs.readSync(fd, buffer, 0, length, size - length);
      return tailLines(buffer.toString('utf8'), count);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * The ERROR/FATAL lines (with the exception message that follows each) near the end of a broker
 * log: a fatal startup error is followed by a long shutdown sequence that pushes it out of the tail.
 */
function errorsNearEndOfFile(file: string, maxErrors: number): string {
  const lines = tailOfFile(file, 2_000).split('\n');
  const errors: string[] = [];
  lines.forEach((line, index) => {
    if (!/^\[[^\]]+\] (ERROR|FATAL) /.test(line)) return;
    const next = lines[index + 1];
    errors.push(next && !next.startsWith('[') && !next.startsWith('\tat ') ? `${line}\n  ${next}` : line);
  });
  return errors.slice(-maxErrors).join('\n');
}

function formatStorageIfNeeded(
  java: string,
  classpath: string,
  propertiesFile: string,
  kraftLogDir: string,
  log4jFile: string,
): void {
  // meta.properties is written by a successful format; with it the dir keeps its cluster id and
  // data across restarts. Ports are not part of the formatted state, so they may change freely.
  if (fs.existsSync(path.join(kraftLogDir, 'meta.properties'))) return;
  const result = spawnSync(
    java,
    [
      '-Xmx256m',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${log4jFile}`,
      '-cp',
      classpath,
      STORAGE_TOOL_CLASS,
      'format',
      '-t',
      randomClusterId(),
      '-c',
      propertiesFile,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    throw new Error(
      `formatting the Kafka storage in ${kraftLogDir} failed (${result.error?.message ?? `exit ${result.status}`}):\n${tailLines(output, 40)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// One broker per dataDir
// ---------------------------------------------------------------------------------------------

/** dataDir/broker.pid: which JVM serves the dir and which Node process started it. */
interface BrokerPidFile {
  brokerPid: number;
  ownerPid: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether pid is a live broker JVM for this properties file (guards against pid reuse). */
function isBrokerFor(pid: number, propertiesFile: string): boolean {
  try {
    const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes(KAFKA_MAIN_CLASS) && commandLine.includes(propertiesFile);
  } catch {
    // No /proc (not Linux): liveness is the best available signal.
    return process.platform !== 'linux' && isAlive(pid);
  }
}

function parentPidOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function waitUntilGone(pid: number, propertiesFile: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isBrokerFor(pid, propertiesFile)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * Refuses to start a second broker on a dataDir (Kafka would die on the log dir lock after
 * rewriting the running broker's config), but stops a broker orphaned by a Node process that
 * died without cleanup (e.g. SIGKILL), so a persistent dataDir heals on the next start.
 */
async function claimDataDir(pidFile: string, propertiesFile: string, log: (line: string) => void): Promise<void> {
  let previous: BrokerPidFile;
  try {
    previous = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as BrokerPidFile;
  } catch {
    return;
  }
  const { brokerPid, ownerPid } = previous;
  if (!isBrokerFor(brokerPid, propertiesFile)) return;
  const parentPid = parentPidOf(brokerPid);
  const ownerStillOwnsIt = parentPid === undefined ? isAlive(ownerPid) : parentPid === ownerPid;
  if (ownerStillOwnsIt) {
    throw new Error(
      `a Kafka broker (pid ${brokerPid}, started by process ${ownerPid}) is already running on ${path.dirname(pidFile)}; stop it first or use another dataDir`,
    );
  }
  log(`[local-kafka] stopping broker pid ${brokerPid} orphaned by process ${ownerPid}`);
  process.kill(brokerPid, 'SIGTERM');
  if (!(await waitUntilGone(brokerPid, propertiesFile, STOP_GRACE_MS))) {
    process.kill(brokerPid, 'SIGKILL');
    await waitUntilGone(brokerPid, propertiesFile, 10_000);
  }
}

// ---------------------------------------------------------------------------------------------
// Process lifecycle
// ---------------------------------------------------------------------------------------------

// Brokers started by this process. They are killed if the process goes away without stop().
const runningBrokers = new Set<ChildProcess>();
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function killAllBrokersNow(): void {
  for (const child of runningBrokers) child.kill('SIGKILL');
}

/**
 * Node runs no 'exit' listeners when a signal kills it, so while a broker runs and nobody else
 * handles the signal, we do: ask the brokers to shut down, then die of the same signal as before.
 * If the application has its own handler it owns shutdown; the 'exit' hook remains the backstop.
 */
function onTerminationSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  for (const child of runningBrokers) child.kill('SIGTERM');
  uninstallProcessHooks();
  process.kill(process.pid, signal);
}

let processHooksInstalled = false;

function installProcessHooks(): void {
  if (processHooksInstalled) return;
  processHooksInstalled = true;
  process.on('exit', killAllBrokersNow);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, onTerminationSignal);
}

function uninstallProcessHooks(): void {
  if (!processHooksInstalled) return;
  processHooksInstalled = false;
  process.removeListener('exit', killAllBrokersNow);
  for (const signal of FORWARDED_SIGNALS) process.removeListener(signal, onTerminationSignal);
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, graceMs))) {
      child.kill('SIGKILL');
      await waitForExit(child, 10_000);
    }
  }
  untrackBroker(child);
}

function untrackBroker(child: ChildProcess): void {
  runningBrokers.delete(child);
  // With no broker left, give the process its normal signal behaviour back.
  if (runningBrokers.size === 0) uninstallProcessHooks();
}

/** Polls until a Kafka client gets cluster metadata from the broker, or the deadline passes. */
async function waitUntilBrokerAnswers(
  brokers: string,
  child: ChildProcess,
  timeoutMs: number,
  describeFailure: () => string,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'local-kafka-readiness',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the Kafka broker exited during startup (${child.signalCode ?? `exit ${child.exitCode}`})${describeFailure()}`,
      );
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.listTopics();
      // Finding a group coordinator makes the broker create __consumer_offsets now, so the first
      // consumer of a test joins at once instead of retrying "coordinator not available".
      await admin.describeGroups(['local-kafka-readiness']);
      if (cluster.brokers.length > 0) return;
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(
        `the Kafka broker did not answer on ${brokers} within ${timeoutMs} ms (last error: ${reason})${describeFailure()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
  }
}

/**
 * Starts a broker on 127.0.0.1 and resolves once it answers Kafka requests. The first call
 * on a machine fetches the jars with Maven; a dataDir that was used before keeps its topics.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  const log = options.log ?? (() => {});
  const java = javaExecutable();
  const libsDir = await ensureKafkaJars(options.cacheDir ?? defaultCacheDir(), log);
  const classpath = path.join(libsDir, '*');

  const dataDir = path.resolve(options.dataDir);
  const kraftLogDir = path.join(dataDir, 'kraft-logs');
  const propertiesFile = path.join(dataDir, 'server.properties');
  const log4jFile = path.join(dataDir, 'log4j.properties');
  const brokerLogFile = path.join(dataDir, 'broker.log');
  // Whatever the JVM prints outside log4j (JVM warnings, a crash before logging is set up).
  const consoleLogFile = path.join(dataDir, 'broker.stdout.log');
  const pidFile = path.join(dataDir, 'broker.pid');
  fs.mkdirSync(kraftLogDir, { recursive: true });
  await claimDataDir(pidFile, propertiesFile, log);

  const brokerPort = options.port ?? (await findFreePort());
  let controllerPort = await findFreePort();
  while (controllerPort === brokerPort) controllerPort = await findFreePort();

  fs.writeFileSync(propertiesFile, serverProperties(brokerPort, controllerPort, kraftLogDir));
  fs.writeFileSync(log4jFile, log4jProperties(brokerLogFile));
  formatStorageIfNeeded(java, classpath, propertiesFile, kraftLogDir, log4jFile);

  const consoleFd = fs.openSync(consoleLogFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(
      java,
      [
        ...JVM_FLAGS,
        `-Dlog4j.configuration=file:${log4jFile}`,
        `-Dkafka.logs.dir=${dataDir}`,
        '-cp',
        classpath,
        KAFKA_MAIN_CLASS,
        propertiesFile,
      ],
      // Its own process group: a Ctrl-C in the terminal reaches the service, which still needs the
      // broker to leave its consumer group and commit, and stops the broker last.
      { cwd: dataDir, stdio: ['ignore', consoleFd, consoleFd], detached: true },
    );
  } finally {
    fs.closeSync(consoleFd);
  }
  if (child.pid === undefined) {
    // spawn reports why on the next tick; java was probed above, so this is rare (e.g. EMFILE).
    throw await new Promise<Error>((resolve) => child.once('error', resolve));
  }
  const pid = child.pid;
  const pidFileContent: BrokerPidFile = { brokerPid: pid, ownerPid: process.pid };
  fs.writeFileSync(pidFile, `${JSON.stringify(pidFileContent)}\n`);
  child.once('exit', () => fs.rmSync(pidFile, { force: true }));
  runningBrokers.add(child);
  installProcessHooks();

  const brokers = `127.0.0.1:${brokerPort}`;
  const describeFailure = (): string => {
    const consoleTail = tailOfFile(consoleLogFile, 20);
    const brokerErrors = errorsNearEndOfFile(brokerLogFile, 10);
    const brokerTail = tailOfFile(brokerLogFile, LOG_TAIL_LINES);
    return (
      (brokerErrors ? `\n--- errors in ${brokerLogFile} ---\n${brokerErrors}` : '') +
      (consoleTail ? `\n--- ${consoleLogFile} (tail) ---\n${consoleTail}` : '') +
      (brokerTail ? `\n--- ${brokerLogFile} (tail) ---\n${brokerTail}` : '')
    );
  };

  const startedAt = Date.now();
  log(`[local-kafka] starting broker pid ${pid} on ${brokers} (data in ${dataDir})`);
  try {
    await waitUntilBrokerAnswers(brokers, child, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, describeFailure);
  } catch (err) {
    // Nothing useful is left running: make sure the failed JVM is gone before reporting.
    child.kill('SIGKILL');
    await waitForExit(child, 10_000);
    untrackBroker(child);
    throw err;
  }
  log(`[local-kafka] broker ready on ${brokers} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

  let stopping: Promise<void> | undefined;
  return {
    brokers,
    pid,
    stop(): Promise<void> {
      stopping ??= terminate(child, STOP_GRACE_MS).then(() => log(`[local-kafka] broker pid ${pid} stopped`));
      return stopping;
    },
  };
}
