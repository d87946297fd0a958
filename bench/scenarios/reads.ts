/**
 * Scenario: operator reads as the log grows (issue 14). One database grows to
 * 100k, 1M and 10M events (--quick stops at 1M; --events N stops at N): each
 * step COPYs the next operations' log, rebuilds every projection and read
 * model with the service's own `opledger replay` (plus the source index, which
 * only appends write: append-only-read-models.ts), and VACUUM ANALYZEs, as a
 * live database's autovacuum would. At each size the service (read-only,
 * ingest off) answers every operator read, one call at a time, ≥ 50 timed
 * calls each after a warm-up; p50/p95 per read and size, judged against the
 * bar: p95 ≤ 20 ms at the largest size and ≤ 2 × its p95 at the smallest.
 * The slowest reads' plans are recorded with auto_explain (EXPLAIN ANALYZE,
 * BUFFERS), and stats answers are checked against counts from the data.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { plansLoggedDuring, serverLogFile, withAutoExplain } from '../support/auto-explain';
import { judgeRead, READ_BAR, type ReadVerdict } from '../support/read-bar';
import { printReadTables, type ReadFigures, type SizeFigures } from '../support/reads-report';
import { round } from '../support/report';
import { migrate } from '../support/schema';
import { SequentialReader, type TimingPlan } from '../support/sequential-reads';
import { serviceDist, spawnFromBuild, startService } from '../support/service-process';
import { runSql } from '../support/sql';
import { fillSourceIndex } from '../workload/append-only-read-models';
import { appendWorkloadEvents } from '../workload/growing-event-log';
import { operatorReads, type DataFacts, type OperatorRead } from '../workload/operator-reads';
import { seededRandom } from '../workload/prng';
import { checkListPages, checkStageStats, checkStats, type CheckResult } from '../workload/read-checks';
import { operationId, workloadFor } from '../workload/workload';
import { progress, type ScenarioContext } from './scenario';

const SIZES = [100_000, 1_000_000, 10_000_000];
const QUICK_LARGEST = 1_000_000;
/** Rounds of every read (interleaved): at least 50 timed calls each, up to 300 while 90 s last. */
const TIMING: TimingPlan = { warmUpCalls: 5, minRounds: 50, maxRounds: 300, budgetMs: 90_000 };
const REPLAY_PAGE_SIZE = Number(process.env.BENCH_READS_REPLAY_PAGE_SIZE ?? 5000);
/** Plans are recorded for the reads slower than the bar, and at least for this many of the slowest. */
const EXPLAINED_SLOWEST = 4;
const EXPLAINED_AT_MOST = 10;

export async function readsScenario({ options, infrastructure, runId }: ScenarioContext) {
  const largest = options.events ?? (options.quick ? QUICK_LARGEST : SIZES[SIZES.length - 1]);
  const sizes = [...SIZES.filter((size) => size < largest), largest];
  const databaseUrl = await infrastructure.createDatabase(`bench_reads_${runId}`);
  await migrate(databaseUrl);
  const logFile = await serverLogFile(databaseUrl);
  if (!logFile) progress('the server log is not readable here: plans (auto_explain) will not be recorded');
  const random = seededRandom(14);

  const figures: SizeFigures[] = [];
  let loadedOperations = 0;
  for (const events of sizes) {
    const workload = workloadFor(events);
    progress(
      `growing the log to ${events.toLocaleString()} events (${workload.operations.toLocaleString()} operations)`,
    );
    const loadAverageAtLoad = loadavg().map((l) => round(l));
    const [{ n: logged }] = await runSql<{ n: string }>(
      databaseUrl,
      'SELECT coalesce(max(position), 0) AS n FROM operation_events',
    );
    const step = await appendWorkloadEvents(databaseUrl, workload, loadedOperations, Date.now() - 1000);
    loadedOperations = workload.operations;
    progress(
      `  COPY: ${step.events.toLocaleString()} events in ${round(step.copySeconds, 1)} s, ` +
        `indexes ${round(step.indexSeconds, 1)} s; opledger replay`,
    );
    const rebuildSeconds = await rebuildProjections(databaseUrl);
    const sourceIndexStarted = performance.now();
    const sourceIndexFilled = await fillSourceIndex(databaseUrl, Number(logged));
    const sourceIndexSeconds = (performance.now() - sourceIndexStarted) / 1000;
    progress(
      `  replay: ${round(rebuildSeconds, 1)} s${sourceIndexFilled ? `, source index ${round(sourceIndexSeconds, 1)} s` : ''}; ` +
        'VACUUM (ANALYZE)',
    );
    const vacuumStarted = performance.now();
    await runSql(databaseUrl, 'VACUUM (ANALYZE)');
    const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;

    const facts = await dataFacts(databaseUrl, workload.operations);
    const reads = operatorReads(facts, random);
    const matching = await countMatching(databaseUrl, reads);
    const loadAverageAtReads = loadavg().map((l) => round(l));
    progress(`  timing ${reads.length} reads (load average ${loadAverageAtReads.join(' ')})`);
    const { timed, checks } = await timeReads(databaseUrl, infrastructure.brokers, runId, reads, matching);
    const explained = logFile
      ? await explainSlowest(databaseUrl, infrastructure.brokers, runId, logFile, reads, timed)
      : [];
    figures.push({
      events: facts.maxPosition,
      workloadEvents: events,
      operations: facts.operations,
      rareOperations: facts.operations - workload.operations,
      load: {
        eventsAdded: step.events,
        copySeconds: round(step.copySeconds, 1),
        indexSeconds: round(step.indexSeconds, 1),
        rebuildSeconds: round(rebuildSeconds, 1),
        sourceIndexSeconds: sourceIndexFilled ? round(sourceIndexSeconds, 1) : null,
        vacuumAnalyzeSeconds: round(vacuumSeconds, 1),
        newestEventTime: step.newestEventTime,
        loadAverageAtStart: loadAverageAtLoad,
      },
      loadAverageAtReads,
      loadAverageAfterReads: loadavg().map((l) => round(l)),
      facts,
      reads: timed,
      checks,
      plans: explained,
    });
  }

  const verdicts: ReadVerdict[] = figures[0].reads.map((read) =>
    judgeRead(
      read.name,
      figures.map((size) => {
        const r = size.reads.find((x) => x.name === read.name);
        return { events: size.workloadEvents, outcome: r?.outcome ?? 'error', p95: r?.p95Ms ?? null };
      }),
    ),
  );
  printReadTables(figures, verdicts);
  const timedVerdicts = verdicts.filter((v) => v.verdict === 'met' || v.verdict === 'missed');
  return {
    sizes: figures.map((f) => f.workloadEvents),
    timing: { ...TIMING, sequential: true, replayPageSize: REPLAY_PAGE_SIZE },
    bar: { ...READ_BAR, judgedAtEvents: largest },
    summary: {
      reads: verdicts.length,
      met: timedVerdicts.filter((v) => v.verdict === 'met').length,
      missed: timedVerdicts.filter((v) => v.verdict === 'missed').map((v) => v.read),
      missing: verdicts.filter((v) => v.verdict === 'missing').map((v) => v.read),
      errors: verdicts.filter((v) => v.verdict === 'error').map((v) => v.read),
      checksDisagreeing: figures.flatMap((f) =>
        Object.entries(f.checks)
          .filter(([, c]) => c && !c.agrees)
          .map(([name]) => `${name} at ${f.workloadEvents}`),
      ),
    },
    verdicts: verdicts.map((v) => ({ ...v, growth: v.growth === null ? null : round(v.growth) })),
    results: figures,
  };
}

/** `opledger replay`: the service's own full rebuild, so every read model is built by the code measured. */
async function rebuildProjections(databaseUrl: string): Promise<number> {
  const started = performance.now();
  const child = spawnFromBuild(join('cli', 'opledger.js'), ['replay', '--page-size', String(REPLAY_PAGE_SIZE)], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`opledger replay exited with ${code} (dist: ${serviceDist()})`);
  return (performance.now() - started) / 1000;
}

async function dataFacts(databaseUrl: string, workloadOperations: number): Promise<DataFacts> {
  const [row] = await runSql<{
    operations: string;
    max_position: string;
    deep_position: string;
    middle: Date;
    newest: Date;
  }>(
    databaseUrl,
    `SELECT (SELECT count(*) FROM operations WHERE version > 0) AS operations,
            (SELECT max(position) FROM operation_events) AS max_position,
            (SELECT first_position FROM operations WHERE id = $1) AS deep_position,
            (SELECT updated_at FROM operations WHERE id = $2) AS middle,
            (SELECT max(updated_at) FROM operations) AS newest`,
    [operationId(Math.floor(workloadOperations * 0.1)), operationId(Math.floor(workloadOperations / 2))],
  );
  const shifted = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000).toISOString();
  return {
    operations: Number(row.operations),
    workloadOperations,
    maxPosition: Number(row.max_position),
    deepListPosition: Number(row.deep_position),
    middleUpdatedRange: { after: shifted(row.middle, -5), before: shifted(row.middle, 5) },
    recentUpdatedAfter: shifted(row.newest, -120),
  };
}

async function countMatching(databaseUrl: string, reads: OperatorRead[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const read of reads) {
    if (!read.matching) continue;
    const [{ n }] = await runSql<{ n: string }>(databaseUrl, read.matching.sql, read.matching.params);
    counts.set(read.name, Number(n));
  }
  return counts;
}

async function timeReads(
  databaseUrl: string,
  brokers: string[],
  runId: string,
  reads: OperatorRead[],
  matching: Map<string, number>,
): Promise<{ timed: ReadFigures[]; checks: Record<string, CheckResult | null> }> {
  const service = await startReadOnlyService(databaseUrl, brokers, runId);
  const reader = new SequentialReader(service.baseUrl);
  const timed: ReadFigures[] = [];
  const checks: Record<string, CheckResult | null> = { stats: null, stageStats24h: null, listPages: null };
  try {
    const examples = reads.map((read) => read.path());
    const results = await reader.timeInRounds(
      reads.map((read) => read.path),
      TIMING,
    );
    reads.forEach((read, index) => {
      const result = results[index];
      const latency = result.latency;
      timed.push({
        name: read.name,
        group: read.group,
        example: examples[index],
        outcome: result.outcome,
        status: result.status,
        calls: result.calls,
        p50Ms: latency ? round(latency.p50, 2) : null,
        p95Ms: latency ? round(latency.p95, 2) : null,
        p99Ms: latency ? round(latency.p99, 2) : null,
        maxMs: latency ? round(latency.max, 2) : null,
        found: describeAnswer(read, result.outcome === 'ok' ? result.lastBody : null),
        matching: matching.get(read.name) ?? null,
        problem: result.outcome === 'ok' ? null : result.lastBody.slice(0, 300),
      });
      const line = latency ? `p50 ${round(latency.p50, 2)} p95 ${round(latency.p95, 2)} ms` : result.outcome;
      progress(`    ${read.name}: ${line} (${result.calls} calls)`);
    });
    const answerOf = (name: string) => {
      const index = reads.findIndex((read) => read.name === name);
      return index >= 0 && results[index].outcome === 'ok' ? results[index].lastBody : null;
    };
    const stats = answerOf('stats');
    if (stats !== null) checks.stats = await checkStats(databaseUrl, stats);
    const stageStats = answerOf('stats/stages 24h');
    if (stageStats !== null) checks.stageStats24h = await checkStageStats(databaseUrl, stageStats);
    checks.listPages = checkListPages(
      reads.map((read, index) => ({
        name: read.name,
        matching: matching.get(read.name) ?? null,
        body: results[index].outcome === 'ok' ? results[index].lastBody : null,
      })),
    );
  } finally {
    reader.close();
    await service.stop();
  }
  for (const [name, check] of Object.entries(checks)) {
    if (check && !check.agrees) progress(`  CHECK FAILED: ${name} disagrees with the data: ${JSON.stringify(check)}`);
  }
  return { timed, checks };
}

function startReadOnlyService(databaseUrl: string, brokers: string[], runId: string) {
  return startService({
    databaseUrl,
    brokers,
    topic: `bench-reads-${runId}`,
    groupId: `bench-reads-${runId}`,
    env: { INGEST_ENABLED: 'false' },
    waitForReady: false,
  });
}

/** What an answer found: rows on the page (+ when there is a next page), a total, a count of stages. */
function describeAnswer(read: OperatorRead, body: string | null): string | null {
  if (body === null) return null;
  const answer = JSON.parse(body) as Record<string, unknown>;
  const length = (key: string) => (Array.isArray(answer[key]) ? (answer[key] as unknown[]).length : 0);
  if (read.group === 'control') return 'up';
  if (read.group === 'list') return `${length('items')}${answer.nextCursor ? '+' : ''}`;
  if (read.name === 'stats') return `total ${String(answer.total)}`;
  if (read.name === 'stats/ingest') return `dead letters ${String((answer.deadLetters as { total?: number })?.total)}`;
  if (read.name.startsWith('stats/stages')) {
    const stages = (answer.stages ?? []) as { started?: number }[];
    return `${stages.length} stages, ${stages.reduce((sum, s) => sum + (s.started ?? 0), 0)} started`;
  }
  if (read.group === 'feed' || read.name.startsWith('history')) return `${length('events')} events`;
  if (read.name === 'timeline') return `${Object.keys((answer.stages ?? {}) as object).length} stages`;
  return `version ${String(answer.version)}`;
}

/** The plans of the slowest reads (and of every read over the bar), from a service started with auto_explain on. */
async function explainSlowest(
  databaseUrl: string,
  brokers: string[],
  runId: string,
  logFile: string,
  reads: OperatorRead[],
  timed: ReadFigures[],
): Promise<{ read: string; p95Ms: number | null; path: string; plans: string[] }[]> {
  const ranked = timed.filter((t) => t.p95Ms !== null).sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0));
  const chosen = ranked
    .filter((t, index) => index < EXPLAINED_SLOWEST || (t.p95Ms ?? 0) > READ_BAR.p95AtMostMs)
    .slice(0, EXPLAINED_AT_MOST);
  if (chosen.length === 0) return [];
  progress(`  recording the plans of ${chosen.map((c) => c.name).join(', ')}`);
  return withAutoExplain(databaseUrl, async () => {
    const service = await startReadOnlyService(databaseUrl, brokers, runId);
    const reader = new SequentialReader(service.baseUrl);
    try {
      const explained = [];
      for (const figures of chosen) {
        const read = reads.find((r) => r.name === figures.name)!;
        const path = read.path();
        await reader.get(path); // the connection's first use: prepared statements and caches warm
        const plans = await plansLoggedDuring(logFile, () => reader.get(path));
        explained.push({ read: read.name, p95Ms: figures.p95Ms, path, plans });
      }
      return explained;
    } finally {
      reader.close();
      await service.stop();
    }
  });
}
