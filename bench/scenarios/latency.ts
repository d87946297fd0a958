/**
 * Scenario 2: steady production at a fixed rate; latency from each event's
 * scheduled send to the moment it is visible. Ours: visible in the service's
 * database (polled, see contenders/feed-poller.ts). Baseline: the seed design's
 * upsert has returned. Ceiling: a bare kafkajs consumer has received it.
 */
import { startKafkaOnly } from '../contenders/kafka-only';
import { pollFeed } from '../contenders/feed-poller';
import { startSeedDesign, SEED_SCHEMA, type RunningContender } from '../contenders/seed-design';
import { contenderSettings } from '../support/contender-settings';
import { type LatencySummary, summarise } from '../support/percentiles';
import { printTable, round } from '../support/report';
import { runSql } from '../support/sql';
import { startService } from '../support/service-process';
import { connectProducer, producePaced } from '../workload/paced-producer';
import { createTopic } from '../workload/preload-topic';
import { progress, type ScenarioContext } from './scenario';

const RATES = [2000, 5000];
/** The first seconds include JIT warm-up and the first fetches; they are left out of every contender's figures. */
const WARMUP_MS = 2000;
const DRAIN_TIMEOUT_MS = 60_000;

interface PhaseResult {
  rate: number;
  contender: 'ours' | 'baseline' | 'ceiling';
  seconds: number;
  latencyMs: LatencySummary;
  /** Events not visible DRAIN_TIMEOUT_MS after the producer stopped (they make the percentiles lower bounds). */
  notVisible: number;
  producerWorstLagMs: number;
  peakRssMiB: number | null;
}

export async function latencyScenario({ options, infrastructure, runId }: ScenarioContext) {
  const oursMs = options.quick ? 30_000 : 60_000;
  const othersMs = options.quick ? 10_000 : 60_000;
  const settings = contenderSettings();
  const producer = await connectProducer(infrastructure.brokers);
  const phases: PhaseResult[] = [];
  try {
    for (const rate of RATES) {
      const contenders = options.skipBaseline
        ? (['ours', 'ceiling'] as const)
        : (['ours', 'baseline', 'ceiling'] as const);
      for (const contender of contenders) {
        const topic = `bench-latency-${contender}-${rate}-${runId}`;
        await createTopic(infrastructure.brokers, topic);
        const visibleAt = new Map<string, number>();
        const see = (id: string, at: number) => {
          if (!visibleAt.has(id)) visibleAt.set(id, at);
        };
        const groupId = `bench-${contender}-${rate}-${runId}`;
        const durationMs = contender === 'ours' ? oursMs : othersMs;
        progress(`${contender} at ${rate} events/s for ${durationMs / 1000} s`);
        let stop: () => Promise<void>;
        let peakRss: () => number | null = () => null;
        if (contender === 'ours') {
          const databaseUrl = await infrastructure.createDatabase(`bench_latency_${rate}_${runId}`);
          const service = await startService({ databaseUrl, brokers: infrastructure.brokers, topic, groupId });
          const poller = await pollFeed(databaseUrl, see);
          peakRss = () => round(service.peakRssMiB(), 1);
          stop = async () => {
            await poller.stop();
            await service.stop();
          };
        } else {
          const common = {
            brokers: infrastructure.brokers,
            topic,
            groupId,
            records: Number.MAX_SAFE_INTEGER,
            ...settings,
          };
          let running: RunningContender;
          if (contender === 'baseline') {
            const databaseUrl = await infrastructure.createDatabase(`bench_latency_seed_${rate}_${runId}`);
            await runSql(databaseUrl, SEED_SCHEMA);
            running = await startSeedDesign({ ...common, databaseUrl, onApplied: (event, at) => see(event.id, at) });
          } else {
            running = await startKafkaOnly({ ...common, onReceived: see });
          }
          // The clock of a latency phase is the producer's; joining must be over before it starts.
          await running.joined;
          stop = running.stop;
        }
        try {
          const run = await producePaced(producer, topic, rate, durationMs);
          const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS;
          while (Date.now() < drainDeadline && [...run.sentAt.keys()].some((id) => !visibleAt.has(id))) {
            await new Promise((r) => setTimeout(r, 100));
          }
          const firstCounted = run.startedAt + WARMUP_MS;
          const samples: number[] = [];
          let notVisible = 0;
          for (const [id, sent] of run.sentAt) {
            const seen = visibleAt.get(id);
            if (seen === undefined) notVisible += 1;
            else if (sent >= firstCounted) samples.push(seen - sent);
          }
          const latencyMs = summarise(samples);
          phases.push({
            rate,
            contender,
            seconds: durationMs / 1000,
            latencyMs: {
              ...latencyMs,
              p50: round(latencyMs.p50, 1),
              p95: round(latencyMs.p95, 1),
              p99: round(latencyMs.p99, 1),
              max: round(latencyMs.max, 1),
              mean: round(latencyMs.mean, 1),
            },
            notVisible,
            producerWorstLagMs: round(run.worstLagMs, 1),
            peakRssMiB: peakRss(),
          });
        } finally {
          await stop();
        }
      }
    }
  } finally {
    await producer.disconnect();
  }

  printTable(
    'latency: scheduled send → visible (ms), after a 2 s warm-up',
    ['events/s', 'contender', 'p50', 'p95', 'p99', 'max', 'not visible', 'peak RSS MiB'],
    phases.map((p) => [
      p.rate,
      label(p.contender),
      p.latencyMs.p50,
      p.latencyMs.p95,
      p.latencyMs.p99,
      p.latencyMs.max,
      p.notVisible,
      p.peakRssMiB,
    ]),
  );
  const at = (rate: number, contender: PhaseResult['contender']) =>
    phases.find((p) => p.rate === rate && p.contender === contender) ?? { latencyMs: { p99: NaN } };
  const ratios = Object.fromEntries(
    RATES.map((rate) => [
      `at${rate}`,
      {
        oursP99ToCeilingP99: round(at(rate, 'ours').latencyMs.p99 / at(rate, 'ceiling').latencyMs.p99, 2),
        baselineP99ToOursP99: round(at(rate, 'baseline').latencyMs.p99 / at(rate, 'ours').latencyMs.p99, 2),
      },
    ]),
  );
  console.log(`ours p99 at 2,000 events/s = ${at(2000, 'ours').latencyMs.p99} ms (target <= 100 ms)`);
  return {
    method:
      'ours: the harness polls SELECT position, event_id FROM operation_events WHERE position > $last ORDER BY position every 5 ms (gap-safe; log row and projection commit together); baseline: the seed upsert returned; ceiling: a bare kafkajs consumer received the record',
    warmupMs: WARMUP_MS,
    settings,
    phases,
    ratios,
    targets: { oursP99At2000MsAtMost: 100, peakRssMiBAtMost: 512 },
  };
}

function label(contender: PhaseResult['contender']): string {
  return { ours: 'ours (service)', baseline: 'baseline (seed design)', ceiling: 'ceiling (Kafka only)' }[contender];
}
