/**
 * Scenario: the operator console in a real browser (Debian's Chromium through playwright-core), on
 * the same machine as the API figures. Time to first render of the operations list (50 rows) and of
 * the page of an operation with 2,000 events, from navigation start and from the moment the API had
 * answered (the console's own performance marks, "rendered" taken after the next paint).
 *
 * - ours: the console against the running service (Postgres behind it, ingest off);
 * - baseline: a hand-written page without framework that fetches the same API and puts the same
 *   text into a table (bench/console/baseline-pages.ts): what any page needs at the least;
 * - ceiling: the console's own rendered page saved as static HTML (its DOM after the render, the
 *   same stylesheet, no script): the first contentful paint of exactly that screen, with no data to
 *   fetch and nothing to run; no "after the API" figure.
 *
 * Each sample is a fresh browser context (cold: nothing cached), then a reload (warm: the bundle
 * from the HTTP cache).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../test/console/support/chromium';
import { BASELINE_LIST, baselineDetail } from '../console/baseline-pages';
import { summarise, type LatencySummary } from '../support/percentiles';
import { printTable, round } from '../support/report';
import { migrate } from '../support/schema';
import { serviceDist, startService } from '../support/service-process';
import { loadEventLog } from '../workload/event-log-loader';
import { workloadFor } from '../workload/workload';
import { progress, type ScenarioContext } from './scenario';

const DEFAULT_EVENTS = 100_000;
const QUICK_EVENTS = 10_000;
const DETAIL_ID = 'bench-detail-2000';
const DETAIL_EVENTS = 2000;

interface PageTarget {
  name: 'list' | 'detail';
  url: (base: string) => string;
  baselineHtml: string;
  dataMarks: string[];
  renderedMarks: string[];
}

const TARGETS: PageTarget[] = [
  {
    name: 'list',
    url: (base) => `${base}/console/operations`,
    baselineHtml: BASELINE_LIST,
    dataMarks: ['list-data'],
    renderedMarks: ['list-rendered'],
  },
  {
    name: 'detail',
    url: (base) => `${base}/console/operations/${DETAIL_ID}`,
    baselineHtml: baselineDetail(DETAIL_ID),
    dataMarks: ['state-data', 'timeline-data', 'history-data'],
    renderedMarks: ['detail-rendered', 'history-rendered'],
  },
];

type Contender = 'ours' | 'baseline' | 'ceiling';

interface Sample {
  totalMs: number;
  afterApiMs: number;
  /** The slowest API request of the page (Resource Timing: request start to response end; streams left out). */
  apiMs: number;
}

/** An operation with 2,000 events: 25 stages started over and over, some failing (retries), overlapping, metadata between. */
function detailEvents(): object[] {
  const base = Date.now() - 3_600_000;
  const at = (ms: number) => new Date(base + ms).toISOString();
  const event = (type: string, ms: number, data?: object) => ({
    specversion: '1.0',
    id: `${DETAIL_ID}-${type}-${ms}`,
    source: 'bench/pipeline',
    type,
    subject: DETAIL_ID,
    time: at(ms),
    ...(data ? { data } : {}),
  });
  const events: object[] = [event('operation.created', 0)];
  for (let i = 0, t = 100; events.length < DETAIL_EVENTS - 1; i += 1, t += 150) {
    const stage = `stage-${String(i % 25).padStart(2, '0')}`;
    events.push(event('stage.started', t, { stage }));
    if (events.length < DETAIL_EVENTS - 1) {
      events.push(
        i % 7 === 3
          ? event('stage.failed', t + 400, { stage, error: { code: 'timeout', attempt: i } })
          : event('stage.completed', t + 400, { stage }),
      );
    }
    if (i % 5 === 0 && events.length < DETAIL_EVENTS - 1)
      events.push(event('metadata.updated', t + 50, { metadata: { step: i } }));
  }
  events.push(event('operation.completed', 400_000, { result: { ok: true } }));
  return events;
}

async function appendDetail(baseUrl: string): Promise<void> {
  const events = detailEvents();
  for (let start = 0; start < events.length; start += 1000) {
    const response = await fetch(`${baseUrl}/v1/operations/${DETAIL_ID}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(events.slice(start, start + 1000)),
    });
    if (response.status !== 201) throw new Error(`append answered ${response.status}: ${await response.text()}`);
  }
}

/** The console's page after its first render, as static HTML without scripts: the ceiling. */
async function snapshots(browser: Browser, baseUrl: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  for (const target of TARGETS) {
    await page.goto(target.url(baseUrl));
    await waitForMarks(page, target.renderedMarks);
    const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '');
    result.set(target.name, html);
  }
  await context.close();
  return result;
}

async function firstContentfulPaint(page: Page): Promise<number> {
  const handle = await page.waitForFunction(
    () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    null,
    { timeout: 60_000, polling: 20 },
  );
  return (await handle.jsonValue()) as number;
}

async function waitForMarks(page: Page, names: string[]): Promise<void> {
  // A function, not a string: the console's CSP forbids evaluating strings (no unsafe-eval).
  await page.waitForFunction(
    (wanted) => wanted.every((n) => performance.getEntriesByName(`console:${n}`, 'mark').length > 0),
    names,
    { timeout: 60_000, polling: 20 },
  );
}

async function sampleOf(page: Page, target: PageTarget): Promise<Sample> {
  await waitForMarks(page, target.renderedMarks);
  const { marks, apiMs } = await page.evaluate(() => ({
    marks: Object.fromEntries(
      performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('console:'))
        .map((m) => [m.name.slice('console:'.length), m.startTime]),
    ),
    // Finished requests only: an open watch stream has no entry yet.
    apiMs: Math.max(
      0,
      ...performance
        .getEntriesByType('resource')
        .filter((r) => new URL(r.name).pathname.startsWith('/v1/'))
        .map((r) => {
          // Node's perf_hooks types stand in for the DOM's here; the browser's entry has these fields.
          const timing = r as unknown as { responseEnd: number; requestStart: number };
          return timing.responseEnd - timing.requestStart;
        }),
    ),
  }));
  const totalMs = Math.max(...target.renderedMarks.map((name) => marks[name]));
  const dataMs = Math.max(...target.dataMarks.map((name) => marks[name]));
  return { totalMs, afterApiMs: totalMs - dataMs, apiMs };
}

async function measure(
  browser: Browser,
  baseUrl: string,
  target: PageTarget,
  contender: Contender,
  snapshot: string,
  iterations: number,
): Promise<{ cold: Sample[]; warm: Sample[] }> {
  const cold: Sample[] = [];
  const warm: Sample[] = [];
  const ownPage = `${baseUrl}/bench-${contender}/${target.name}`;
  const url = contender === 'ours' ? target.url(baseUrl) : ownPage;
  const html = contender === 'baseline' ? target.baselineHtml : snapshot;
  const once = async (page: Page): Promise<Sample> =>
    contender === 'ceiling'
      ? { totalMs: await firstContentfulPaint(page), afterApiMs: NaN, apiMs: NaN }
      : sampleOf(page, target);
  // One more than measured: the first run warms the service and the browser up.
  for (let i = 0; i <= iterations; i += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    if (contender !== 'ours') {
      await context.route(ownPage, (route) =>
        route.fulfill({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html }),
      );
    }
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    const first = await once(page);
    await page.reload({ waitUntil: 'commit' });
    const second = await once(page);
    await context.close();
    if (i > 0) {
      cold.push(first);
      warm.push(second);
    }
  }
  return { cold, warm };
}

const ms = (summary: LatencySummary | null, key: 'p50' | 'p95') => (summary ? round(summary[key], 1) : null);

export async function consoleScenario({ options, infrastructure, runId }: ScenarioContext) {
  const workload = workloadFor(options.events ?? (options.quick ? QUICK_EVENTS : DEFAULT_EVENTS));
  const iterations = options.quick ? 5 : 20;
  const databaseUrl = await infrastructure.createDatabase(`bench_console_${runId}`);
  await migrate(databaseUrl);
  progress(`loading ${workload.operations.toLocaleString()} operations (${workload.events.toLocaleString()} events)`);
  await loadEventLog(databaseUrl, workload, { withProjections: true });
  const service = await startService({
    databaseUrl,
    brokers: infrastructure.brokers,
    topic: `bench-console-${runId}`,
    groupId: `bench-console-${runId}`,
    env: { INGEST_ENABLED: 'false' },
    waitForReady: false,
  });
  const browser = await launchChromium();
  const rows: Record<string, unknown>[] = [];
  try {
    await appendDetail(service.baseUrl);
    progress(`operation ${DETAIL_ID} has ${DETAIL_EVENTS} events; saving the rendered pages for the ceiling`);
    const saved = await snapshots(browser, service.baseUrl);
    for (const target of TARGETS) {
      for (const contender of ['ours', 'baseline', 'ceiling'] as const) {
        progress(`${target.name}: ${contender}, ${iterations} cold loads and reloads`);
        const { cold, warm } = await measure(
          browser,
          service.baseUrl,
          target,
          contender,
          saved.get(target.name)!,
          iterations,
        );
        rows.push({
          page: target.name,
          contender,
          samples: cold.length,
          coldTotal: summarise(cold.map((s) => s.totalMs)),
          coldAfterApi: contender === 'ceiling' ? null : summarise(cold.map((s) => s.afterApiMs)),
          warmTotal: summarise(warm.map((s) => s.totalMs)),
          warmAfterApi: contender === 'ceiling' ? null : summarise(warm.map((s) => s.afterApiMs)),
          coldApi: contender === 'ceiling' ? null : summarise(cold.map((s) => s.apiMs)),
        });
      }
    }
  } finally {
    await browser.close();
    await service.stop();
  }

  const bundle = JSON.parse(readFileSync(join(serviceDist(), 'console-ui', 'bundle-size.json'), 'utf8')) as {
    bytes: number;
    gzipBytes: number;
  };
  type Row = { page: string; contender: string; samples: number } & Record<'coldTotal' | 'warmTotal', LatencySummary> &
    Record<'coldAfterApi' | 'warmAfterApi' | 'coldApi', LatencySummary | null>;
  const typed = rows as Row[];
  printTable(
    `console: ${workload.operations.toLocaleString()} operations, list of 50, an operation of ${DETAIL_EVENTS} events; ` +
      `bundle ${(bundle.gzipBytes / 1024).toFixed(1)} KiB gzipped; ms from navigation start, and after the API answered`,
    [
      'page',
      'contender',
      'cold p50',
      'cold p95',
      'warm p50',
      'warm p95',
      'after API p50',
      'after API p95',
      'warm after API p95',
      'API p50',
      'n',
    ],
    typed.map((r) => [
      r.page,
      r.contender,
      ms(r.coldTotal, 'p50'),
      ms(r.coldTotal, 'p95'),
      ms(r.warmTotal, 'p50'),
      ms(r.warmTotal, 'p95'),
      ms(r.coldAfterApi, 'p50'),
      ms(r.coldAfterApi, 'p95'),
      ms(r.warmAfterApi, 'p95'),
      ms(r.coldApi, 'p50'),
      r.samples,
    ]),
  );
  const find = (page: string, contender: string) => typed.find((r) => r.page === page && r.contender === contender)!;
  const ratios = Object.fromEntries(
    TARGETS.flatMap(({ name }) => [
      [
        `${name}OursToBaselineColdP50`,
        round(find(name, 'ours').coldTotal.p50 / find(name, 'baseline').coldTotal.p50, 2),
      ],
      [`${name}OursToCeilingColdP50`, round(find(name, 'ours').coldTotal.p50 / find(name, 'ceiling').coldTotal.p50, 2)],
    ]),
  );
  const targets = { listAfterApiMsAtMost: 300, detailAfterApiMsAtMost: 1000 };
  const worstAfterApi = (page: string) =>
    Math.max(find(page, 'ours').coldAfterApi!.p95, find(page, 'ours').warmAfterApi!.p95);
  console.log(
    `list: ${round(worstAfterApi('list'), 1)} ms after the API answered, p95 (target <= ${targets.listAfterApiMsAtMost}); ` +
      `detail: ${round(worstAfterApi('detail'), 1)} ms (target <= ${targets.detailAfterApiMsAtMost}); ratios ${JSON.stringify(ratios)}`,
  );
  return {
    operations: workload.operations,
    detailEvents: DETAIL_EVENTS,
    iterations,
    bundle: { bytes: bundle.bytes, gzipBytes: bundle.gzipBytes },
    results: rows,
    ratios,
    targets,
    met: {
      list: worstAfterApi('list') <= targets.listAfterApiMsAtMost,
      detail: worstAfterApi('detail') <= targets.detailAfterApiMsAtMost,
    },
  };
}
