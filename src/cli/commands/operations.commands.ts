import { Command, Option } from 'commander';
import type { ApiEvent, OperationList, OperationState, OperationStatus, StageStatus } from '../../client/api-types';
import { isValidOperationId } from '../../envelope/parse-cloud-event';
import { OPERATION_STATUSES, STAGE_STATUSES } from '../../projection/operation-fold';
import { integerArgument } from '../cli-arguments';
import { CliUsageError } from '../cli-errors';
import { formatDurationMs, shortTime } from './render/durations';
import { renderGantt } from './render/gantt-chart';
import { renderFields, renderTable } from './render/text-table';
import { type RemoteOptions, runRemote, withRemoteOptions } from './remote-service';

export function operationIdArgument(raw: string): string {
  if (!isValidOperationId(raw)) {
    throw new CliUsageError(`"${raw}" is not an operation id: 1 to 200 characters of [A-Za-z0-9._:-]`);
  }
  return raw;
}

const json = (value: unknown) => (value === null || value === undefined ? '-' : JSON.stringify(value));
const stageOf = (event: ApiEvent) => (typeof event.data?.stage === 'string' ? event.data.stage : '');

/** `opledger get`, `history`, `timeline`, `list`: reading operations over the REST API. */
export function registerOperationCommands(program: Command): void {
  withRemoteOptions(
    program
      .command('get')
      .description('show the current state of an operation (or its state at a point of its history)')
      .argument('<id>', 'operation id')
      .addOption(
        new Option('--at-version <n>', 'the state right after this version').argParser(
          integerArgument('--at-version', 1),
        ),
      )
      .option('--as-of <time>', 'the state from what was recorded at this instant (RFC 3339)'),
  ).action(async (id: string, options: RemoteOptions & { atVersion?: number; asOf?: string }) => {
    const operationId = operationIdArgument(id);
    await runRemote(options, async ({ api, print }) => {
      const state = await api.getOperation(operationId, { atVersion: options.atVersion, asOf: options.asOf });
      print(state, renderState);
    });
  });

  withRemoteOptions(
    program
      .command('history')
      .description("list an operation's events in version order")
      .argument('<id>', 'operation id')
      .addOption(
        new Option('--from-version <n>', 'the first version to show')
          .argParser(integerArgument('--from-version', 1))
          .default(1),
      )
      .addOption(
        new Option('--limit <n>', 'the most events to show')
          .argParser(integerArgument('--limit', 1, 1_000_000))
          .default(1000),
      ),
  ).action(async (id: string, options: RemoteOptions & { fromVersion: number; limit: number }) => {
    const operationId = operationIdArgument(id);
    await runRemote(options, async ({ api, print }) => {
      const events: ApiEvent[] = [];
      let from: number | null = options.fromVersion;
      while (from !== null && events.length < options.limit) {
        const page = await api.getEvents(operationId, {
          fromVersion: from,
          limit: Math.min(1000, options.limit - events.length),
        });
        events.push(...page.events);
        from = page.nextFromVersion;
      }
      print(
        events,
        (list) =>
          renderTable(list, [
            { header: 'VERSION', value: (e) => e.version, align: 'right' },
            { header: 'TIME', value: (e) => shortTime(e.time) },
            { header: 'TYPE', value: (e) => e.type },
            { header: 'STAGE', value: stageOf },
            { header: 'SOURCE', value: (e) => e.source, maxWidth: 32 },
            { header: 'RECORDED', value: (e) => shortTime(e.recordedAt) },
            { header: 'ID', value: (e) => e.id, maxWidth: 40 },
          ]) + (from !== null ? `\n(more from version ${from}: --from-version ${from})` : ''),
      );
    });
  });

  withRemoteOptions(
    program
      .command('timeline')
      .description('draw where the time of an operation went, as a text Gantt chart of its stages')
      .argument('<id>', 'operation id')
      .addOption(
        new Option('--width <columns>', 'width of the time axis').argParser(integerArgument('--width', 10, 500)),
      ),
  ).action(async (id: string, options: RemoteOptions & { width?: number }) => {
    const operationId = operationIdArgument(id);
    await runRemote(options, async ({ api, print }) => {
      const timeline = await api.getTimeline(operationId);
      const width = options.width ?? defaultChartWidth();
      print(timeline, (t) => renderGantt(t, { width, color: useColor() }));
    });
  });

  withRemoteOptions(
    program
      .command('list')
      .description('list operations, newest first, with filters')
      .option('--status <statuses>', `comma-separated: ${OPERATION_STATUSES.join(', ')}`)
      .option('--stage <name>', 'operations that have this stage')
      .addOption(
        new Option('--stage-status <status>', 'with --stage: the stage is in this status').choices(STAGE_STATUSES),
      )
      .option('--source <source>', 'operations with an event from this source')
      .option('--updated-after <time>', 'updatedAt after this instant (RFC 3339)')
      .option('--updated-before <time>', 'updatedAt before this instant (RFC 3339)')
      .addOption(new Option('--limit <n>', '1 to 500').argParser(integerArgument('--limit', 1, 500)).default(50))
      .option('--cursor <cursor>', 'the next page, as printed after the previous one'),
  ).action(async (options: RemoteOptions & ListOptions) => {
    const statuses = options.status?.split(',').map((s) => s.trim()) as OperationStatus[] | undefined;
    const unknown = statuses?.find((s) => !OPERATION_STATUSES.includes(s));
    if (unknown !== undefined) {
      throw new CliUsageError(`--status: "${unknown}" is not one of ${OPERATION_STATUSES.join(', ')}`);
    }
    await runRemote(options, async ({ api, print }) => {
      const page = await api.listOperations({
        status: statuses,
        stage: options.stage,
        stageStatus: options.stageStatus,
        source: options.source,
        updatedAfter: options.updatedAfter,
        updatedBefore: options.updatedBefore,
        limit: options.limit,
        cursor: options.cursor,
      });
      print(page, renderList);
    });
  });
}

interface ListOptions {
  status?: string;
  stage?: string;
  stageStatus?: StageStatus;
  source?: string;
  updatedAfter?: string;
  updatedBefore?: string;
  limit: number;
  cursor?: string;
}

export function renderState(state: OperationState): string {
  const stages = Object.entries(state.stages);
  const summary = renderFields([
    ['operation', state.id],
    ['status', state.status],
    ['version', `${state.version} (${state.eventCount} events)`],
    ['created', shortTime(state.createdAt)],
    ['updated', shortTime(state.updatedAt)],
    ['metadata', Object.keys(state.metadata).length === 0 ? '-' : json(state.metadata)],
    ['result', json(state.result)],
    ['error', json(state.error)],
  ]);
  if (stages.length === 0) return `${summary}\n\n(no stages yet)`;
  const table = renderTable(stages, [
    { header: 'STAGE', value: ([name]) => name, maxWidth: 32 },
    { header: 'STATUS', value: ([, s]) => s.status },
    { header: 'ATTEMPTS', value: ([, s]) => s.attempts, align: 'right' },
    { header: 'STARTED', value: ([, s]) => shortTime(s.firstStartedAt) },
    { header: 'FINISHED', value: ([, s]) => shortTime(s.finishedAt) },
    { header: 'SOURCE', value: ([, s]) => s.source, maxWidth: 32 },
    { header: 'ERROR', value: ([, s]) => json(s.error), maxWidth: 60 },
  ]);
  return `${summary}\n\n${table}`;
}

function renderList(page: OperationList): string {
  if (page.items.length === 0) return '(no operations match)';
  const table = renderTable(page.items, [
    { header: 'ID', value: (s) => s.id, maxWidth: 40 },
    { header: 'STATUS', value: (s) => s.status },
    { header: 'VERSION', value: (s) => s.version, align: 'right' },
    {
      header: 'RUNNING STAGES',
      value: (s) =>
        Object.entries(s.stages)
          .filter(([, stage]) => stage.status === 'running')
          .map(([name]) => name)
          .join(',') || '-',
      maxWidth: 40,
    },
    { header: 'AGE', value: (s) => formatDurationMs(Date.now() - Date.parse(s.createdAt)) },
    { header: 'UPDATED', value: (s) => shortTime(s.updatedAt) },
  ]);
  return page.nextCursor === null ? table : `${table}\n(more: --cursor ${page.nextCursor})`;
}

function defaultChartWidth(): number {
  const columns = process.stdout.columns;
  // Room for the stage names and the duration/status columns on the right.
  return columns ? Math.max(20, Math.min(100, columns - 50)) : 60;
}

export function useColor(): boolean {
  return process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
}
