/**
 * A real single-node Apache Kafka broker (KRaft, combined broker+controller, no ZooKeeper)
 * for tests, `npm start` and benchmarks, without Docker.
 *
 * The broker jars come from Maven Central through infra/kafka/pom.xml and are cached under
 * <repo root>/.cache/kafka/libs (kafka/kafka-jars.ts); the broker runs as a child `java` process
 * (kafka/broker-config.ts, kafka/broker-lifecycle.ts) whose data, config and logs all live under
 * the caller's dataDir (kafka/data-dir-claim.ts), and is ready once a client gets metadata from
 * it (kafka/broker-readiness.ts).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findFreePort } from './free-port';
import {
  formatStorageIfNeeded,
  javaExecutable,
  JVM_FLAGS,
  KAFKA_MAIN_CLASS,
  log4jProperties,
  serverProperties,
} from './kafka/broker-config';
import { terminate, trackBroker, untrackBroker, waitForExit } from './kafka/broker-lifecycle';
import { waitUntilBrokerAnswers } from './kafka/broker-readiness';
import { type BrokerPidFile, claimDataDir, STOP_GRACE_MS } from './kafka/data-dir-claim';
import { defaultCacheDir, ensureKafkaJars } from './kafka/kafka-jars';
import { errorsNearEndOfFile, tailOfFile } from './kafka/log-tail';

// The parts a test's own broker cluster reuses (test/chaos).
export { ensureKafkaJars } from './kafka/kafka-jars';
export { javaExecutable, log4jProperties, randomClusterId } from './kafka/broker-config';

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

const DEFAULT_START_TIMEOUT_MS = 90_000;
const LOG_TAIL_LINES = 60;

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
  trackBroker(child);

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
