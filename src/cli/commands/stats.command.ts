import { Command } from 'commander';
import type { OperationStats } from '../../client/api-types';
import { renderTable } from './render/text-table';
import { type RemoteOptions, runRemote, withRemoteOptions } from './remote-service';

/** `opledger stats`: how many operations, by status, and which stages are busy. */
export function registerStatsCommand(program: Command): void {
  withRemoteOptions(
    program.command('stats').description('count operations by status, and the running ones by stage'),
  ).action(async (options: RemoteOptions) => {
    await runRemote(options, async ({ api, print }) => print(await api.stats(), renderStats));
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
