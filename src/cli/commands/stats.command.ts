import { Command, Option } from 'commander';
import type { OperationStats, StageStatsReport, StageStatsWindow } from '../../client/api-types';
import { formatDurationMs } from './render/durations';
import { renderTable } from './render/text-table';
import { type RemoteOptions, runRemote, withRemoteOptions } from './remote-service';

interface StatsOptions extends RemoteOptions {
  stages?: boolean;
  window: StageStatsWindow;
}

/** `opledger stats`: how many operations, by status, and which stages are busy; `--stages`: stage analytics. */
export function registerStatsCommand(program: Command): void {
  withRemoteOptions(
    program
      .command('stats')
      .description('count operations by status, and the running ones by stage; --stages for per-stage analytics')
      .option('--stages', 'per stage over a window: attempts, failure rate, duration p50/p95/p99')
      .addOption(new Option('--window <window>', 'the window of --stages').choices(['15m', '1h', '24h']).default('1h')),
  ).action(async (options: StatsOptions) => {
    await runRemote(options, async ({ api, print }) => {
      if (options.stages) print(await api.stageStats(options.window), renderStageStats);
      else print(await api.stats(), renderStats);
    });
  });
}

export function renderStats(stats: OperationStats): string {
  const statuses = renderTable(
    [...Object.entries(stats.byStatus), ['total', stats.total] as const, ['in progress', stats.inProgress] as const],
    [
      { header: 'STATUS', value: ([name]) => name },
      { header: 'OPERATIONS', value: ([, count]) => count, align: 'right' },
    ],
  );
  const stages = Object.entries(stats.runningByStage);
  if (stages.length === 0) return `${statuses}\n\n(no stage is running)`;
  const running = renderTable(stages, [
    { header: 'RUNNING STAGE', value: ([name]) => name },
    { header: 'OPERATIONS', value: ([, count]) => count, align: 'right' },
  ]);
  return `${statuses}\n\n${running}`;
}

export function renderStageStats(report: StageStatsReport): string {
  const title = `stages over the last ${report.window} (${report.from} to ${report.to})`;
  if (report.stages.length === 0) return `${title}\n\n(no stage activity)`;
  const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)} %`);
  const table = renderTable(report.stages, [
    { header: 'STAGE', value: (s) => s.stage },
    { header: 'STARTED', value: (s) => s.started, align: 'right' },
    { header: 'SUCCEEDED', value: (s) => s.succeeded, align: 'right' },
    { header: 'FAILED', value: (s) => s.failed, align: 'right' },
    { header: 'SKIPPED', value: (s) => s.skipped, align: 'right' },
    { header: 'RUNNING', value: (s) => s.running, align: 'right' },
    { header: 'FAILURES', value: (s) => percent(s.failureRate), align: 'right' },
    { header: 'P50', value: (s) => formatDurationMs(s.durationMs.p50), align: 'right' },
    { header: 'P95', value: (s) => formatDurationMs(s.durationMs.p95), align: 'right' },
    { header: 'P99', value: (s) => formatDurationMs(s.durationMs.p99), align: 'right' },
  ]);
  return `${title}\n\n${table}`;
}
