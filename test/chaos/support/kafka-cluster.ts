/**
 * A 3-node Apache Kafka cluster on loopback for the cluster fault scenarios: the same Maven jars
 * as the local broker (src/local-infra/local-kafka.ts), three JVMs, each a combined KRaft
 * broker + controller (a quorum of three voters), replication factor 3 and
 * `min.insync.replicas=2`, the settings docs/operations.md recommends for production.
 *
 * Nodes keep their ports and data dirs for the whole run, so a node killed with SIGKILL comes back
 * as the same broker (same node id, same log) and has to catch up and rejoin the ISRs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { findFreePort } from '../../../src/local-infra/free-port';
import {
  ensureKafkaJars,
  javaExecutable,
  log4jProperties,
  randomClusterId,
} from '../../../src/local-infra/local-kafka';
import { waitFor } from '../../support/wait-for';

/** Partitions of the internal topics: fewer than Kafka's 50, so that the cluster starts quickly. */
export const OFFSETS_TOPIC_PARTITIONS = 6;
export const OFFSETS_TOPIC = '__consumer_offsets';

const JVM_FLAGS = [
  '-Xms128m',
  '-Xmx384m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  // Three JVMs start at once on a small CI machine: the C1 compiler alone halves their start-up CPU.
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

interface ClusterNode {
  id: number;
  brokerPort: number;
  controllerPort: number;
  dir: string;
  child: ChildProcess | null;
  exited: Promise<void> | null;
}

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Java's String.hashCode, which Kafka uses to place a group on a partition of __consumer_offsets. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The partition of __consumer_offsets that holds a group, hence whose leader is the group's
 * coordinator: `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions` in Kafka.
 */
export function coordinatorPartition(groupId: string, offsetsPartitions: number = OFFSETS_TOPIC_PARTITIONS): number {
  const hash = javaStringHashCode(groupId);
  const abs = hash === -2147483648 ? 0 : Math.abs(hash);
  return abs % offsetsPartitions;
}

function serverProperties(node: ClusterNode, voters: string): string {
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://127.0.0.1:${node.brokerPort},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.brokerPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': join(node.dir, 'kraft-logs'),

    // What docs/operations.md recommends: three copies, an acknowledged write is on at least two,
    // and a replica that missed writes never becomes leader.
    'default.replication.factor': 3,
    'min.insync.replicas': 2,
    'unclean.leader.election.enable': false,
    'offsets.topic.replication.factor': 3,
    'offsets.topic.num.partitions': OFFSETS_TOPIC_PARTITIONS,
    'transaction.state.log.replication.factor': 3,
    'transaction.state.log.min.isr': 2,
    'transaction.state.log.num.partitions': OFFSETS_TOPIC_PARTITIONS,
    'num.partitions': 6,
    'auto.create.topics.enable': true,
    'group.initial.rebalance.delay.ms': 0,
    // broker.session.timeout.ms stays at Kafka's default (9 s): how long the controller waits
    // before fencing a silent broker and electing new leaders is part of what the scenario measures.

    'log.segment.bytes': 16 * 1024 * 1024,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    'log.retention.hours': 24,
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

export class KafkaCluster {
  private readonly java = javaExecutable();

  private constructor(
    private readonly nodes: ClusterNode[],
    private readonly classpath: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Formats and starts `size` nodes and resolves once all are registered and the offsets topic exists. */
  static async start({
    dataDir,
    size = 3,
    log = () => undefined,
    startTimeoutMs = 240_000,
  }: {
    dataDir: string;
    size?: number;
    log?: (line: string) => void;
    startTimeoutMs?: number;
  }): Promise<KafkaCluster> {
    const libs = await ensureKafkaJars(undefined, log);
    const nodes: ClusterNode[] = [];
    const taken = new Set<number>();
    const freePort = async () => {
      let port = await findFreePort();
      while (taken.has(port)) port = await findFreePort();
      taken.add(port);
      return port;
    };
    for (let id = 1; id <= size; id += 1) {
      const dir = join(resolve(dataDir), `node-${id}`);
      mkdirSync(join(dir, 'kraft-logs'), { recursive: true });
      nodes.push({
        id,
        brokerPort: await freePort(),
        controllerPort: await freePort(),
        dir,
        child: null,
        exited: null,
      });
    }
    const cluster = new KafkaCluster(nodes, join(libs, '*'), log);
    const voters = nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
    const clusterId = randomClusterId();
    for (const node of nodes) {
      writeFileSync(join(node.dir, 'server.properties'), serverProperties(node, voters));
      writeFileSync(join(node.dir, 'log4j.properties'), log4jProperties(join(node.dir, 'broker.log')));
    }
    await Promise.all(nodes.map((node) => cluster.format(node, clusterId)));
    try {
      for (const node of nodes) cluster.spawn(node);
      await waitFor(
        `${size} Kafka brokers registered`,
        async () => {
          for (const node of nodes) {
            if (!cluster.isRunning(node.id)) throw new Error(`node ${node.id} exited:\n${cluster.logTail(node.id)}`);
          }
          return (await cluster.registeredBrokers()).length === size;
        },
        { timeoutMs: startTimeoutMs, intervalMs: 500 },
      );
      // Finding a coordinator creates __consumer_offsets (RF 3) now, while every node is up.
      await waitFor(
        'a group coordinator',
        async () => {
          await cluster.withAdmin((admin) => admin.describeGroups(['kafka-cluster-warmup']));
          return (await cluster.partitions(OFFSETS_TOPIC)).every((p) => p.isr.length === size);
        },
        { timeoutMs: startTimeoutMs, intervalMs: 500 },
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    log(`[kafka-cluster] ${size} nodes up at ${cluster.brokers.join(',')}`);
    return cluster;
  }

  /** Bootstrap addresses of every node, down or not: what a client is configured with. */
  get brokers(): string[] {
    return this.nodes.map((n) => `127.0.0.1:${n.brokerPort}`);
  }

  get nodeIds(): number[] {
    return this.nodes.map((n) => n.id);
  }

  isRunning(id: number): boolean {
    const child = this.node(id).child;
    return child !== null && child.exitCode === null && child.signalCode === null;
  }

  /** SIGKILL, as a crashed machine: no controlled shutdown, no leadership handed over. */
  async kill(id: number): Promise<void> {
    const node = this.node(id);
    if (!node.child || !this.isRunning(id)) throw new Error(`node ${id} is not running`);
    node.child.kill('SIGKILL');
    await node.exited;
    node.child = null;
  }

  /** Starts a killed node again on its ports and data dir; resolves once the cluster lists it. */
  async restart(id: number, timeoutMs = 240_000): Promise<void> {
    const node = this.node(id);
    if (this.isRunning(id)) throw new Error(`node ${id} is already running`);
    this.spawn(node);
    await waitFor(
      `node ${id} registered again`,
      async () => {
        if (!this.isRunning(id)) throw new Error(`node ${id} exited:\n${this.logTail(id)}`);
        return (await this.registeredBrokers()).includes(id);
      },
      { timeoutMs, intervalMs: 500 },
    );
  }

  /** Leader, replicas and ISR of each partition of the topic, as the cluster's metadata says. */
  async partitions(topic: string): Promise<PartitionState[]> {
    return this.withAdmin(async (admin) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return (topics[0]?.partitions ?? [])
        .map(({ partitionId, leader, replicas, isr }) => ({ partition: partitionId, leader, replicas, isr }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  /** The node leading the most partitions of the topic (the lowest id on a tie) and how many it leads. */
  async topLeader(topic: string): Promise<{ node: number; partitionsLed: number }> {
    const counts = new Map<number, number>();
    for (const { leader } of await this.partitions(topic)) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    const [node, partitionsLed] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    return { node, partitionsLed };
  }

  /** The group coordinator: the leader of the group's partition of __consumer_offsets. */
  async coordinator(groupId: string): Promise<number> {
    const partition = coordinatorPartition(groupId);
    const state = (await this.partitions(OFFSETS_TOPIC)).find((p) => p.partition === partition);
    if (!state) throw new Error(`${OFFSETS_TOPIC} has no partition ${partition}`);
    return state.leader;
  }

  /** The node ids the controller currently lists as brokers (fenced ones excluded). */
  async registeredBrokers(): Promise<number[]> {
    return this.withAdmin(async (admin) => (await admin.describeCluster()).brokers.map((b) => b.nodeId));
  }

  /** Runs one admin call through a short-lived client bootstrapped from the running nodes only. */
  async withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const running = this.nodes.filter((n) => this.isRunning(n.id)).map((n) => `127.0.0.1:${n.brokerPort}`);
    const admin = new Kafka({
      clientId: 'kafka-cluster-admin',
      brokers: running,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2_000,
      requestTimeout: 10_000,
      retry: { retries: 3, initialRetryTime: 200 },
    }).admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  logTail(id: number, lines = 30): string {
    try {
      return readFileSync(join(this.node(id).dir, 'broker.log'), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '(no broker log)';
    }
  }

  /** Graceful stop of every running node (SIGTERM, then SIGKILL after 20 s). */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        if (!node.child || !this.isRunning(node.id)) return;
        node.child.kill('SIGTERM');
        const timer = setTimeout(() => node.child?.kill('SIGKILL'), 20_000);
        await node.exited;
        clearTimeout(timer);
        node.child = null;
      }),
    );
  }

  private node(id: number): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** `kafka-storage format` with the cluster's id: every node must be formatted with the same one. */
  private async format(node: ClusterNode, clusterId: string): Promise<void> {
    if (existsSync(join(node.dir, 'kraft-logs', 'meta.properties'))) return;
    const child = spawn(
      this.java,
      [
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        `-Dlog4j.configuration=file:${join(node.dir, 'log4j.properties')}`,
        '-cp',
        this.classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        join(node.dir, 'server.properties'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((done, fail) => {
      child.once('error', fail);
      child.once('exit', done);
    });
    if (code !== 0) throw new Error(`formatting node ${node.id} failed (exit ${code}):\n${output.slice(-3000)}`);
  }

  private spawn(node: ClusterNode): void {
    const out = openSync(join(node.dir, 'broker.stdout.log'), 'a');
    const child = spawn(
      this.java,
      [
        ...JVM_FLAGS,
        `-Dlog4j.configuration=file:${join(node.dir, 'log4j.properties')}`,
        `-Dkafka.logs.dir=${node.dir}`,
        '-cp',
        this.classpath,
        'kafka.Kafka',
        join(node.dir, 'server.properties'),
      ],
      { cwd: node.dir, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    node.child = child;
    node.exited = new Promise((done) => child.once('exit', () => done()));
    // A test process that dies must not leave JVMs behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    this.log(`[kafka-cluster] node ${node.id} started (pid ${child.pid}) on 127.0.0.1:${node.brokerPort}`);
  }
}
