import { Command, Option } from 'commander';
import type { ApiEvent, OperationState } from '../../client/api-types';
import { OpledgerApiError } from '../../client/http-errors';
import type { OpledgerApi, WatchMessage } from '../../client/opledger-api';
import { integerArgument } from '../cli-arguments';
import { ExitCode } from '../cli-errors';
import { shortTime } from './render/durations';
import { operationIdArgument } from './operations.commands';
import { type RemoteOptions, runRemote, withRemoteOptions } from './remote-service';

interface TailOptions extends RemoteOptions {
  after?: number;
  fromStart?: boolean;
  count?: number;
}

/** Reconnections in a row (after the server ended the stream) before giving up. */
const MAX_RECONNECTS = 10;
const RECONNECT_DELAY_MS = 1000;

/** `opledger tail [ID]`: follow the global feed, or one operation, live over Server-Sent Events. */
export function registerTailCommand(program: Command): void {
  withRemoteOptions(
    program
      .command('tail')
      .description('follow new events live: of every operation, or of one (then also its state after each change)')
      .argument('[id]', 'follow only this operation')
      .addOption(
        new Option(
          '--after <position>',
          'start after this global position (feed) or version (one operation); default: from now',
        )
          .argParser(integerArgument('--after', 0))
          .conflicts('fromStart'),
      )
      .option('--from-start', 'global feed: start at the beginning of the log')
      .addOption(new Option('--count <n>', 'stop after this many events').argParser(integerArgument('--count', 1))),
  ).action(async (id: string | undefined, options: TailOptions) => {
    const operationId = id === undefined ? undefined : operationIdArgument(id);
    await runRemote(options, ({ api }) => follow(api, operationId, options));
  });
}

async function follow(api: OpledgerApi, operationId: string | undefined, options: TailOptions): Promise<ExitCode> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let resumeAfter: number | string | undefined = options.fromStart ? 0 : options.after;
  let seen = 0;
  let reconnects = 0;
  try {
    while (!stop.signal.aborted) {
      const stream: AsyncGenerator<WatchMessage> =
        operationId === undefined
          ? api.watchFeed({ after: resumeAfter, signal: stop.signal })
          : api.watchOperation(operationId, { after: resumeAfter, signal: stop.signal });
      try {
        for await (const message of stream) {
          reconnects = 0;
          resumeAfter = resumePointOf(message) ?? resumeAfter;
          if (message.kind === 'position') continue;
          printMessage(message, operationId !== undefined, options.json === true);
          if (message.kind === 'event') seen += 1;
          if (options.count !== undefined && seen >= options.count) return ExitCode.ok;
        }
      } catch (error) {
        if (stop.signal.aborted) break;
        // A refusal (404, 401…) will not go away by reconnecting.
        if (error instanceof OpledgerApiError || reconnects > 0) throw error;
      }
      if (stop.signal.aborted) break;
      reconnects += 1;
      if (reconnects > MAX_RECONNECTS) throw new Error('the stream keeps ending; giving up');
      process.stderr.write(`opledger: the stream ended; reconnecting after ${resumeAfter ?? 'now'}\n`);
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
    }
    return ExitCode.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function resumePointOf(message: WatchMessage): number | string | undefined {
  return message.kind === 'state' ? message.state?.version : message.id;
}

function printMessage(
  message: Exclude<WatchMessage, { kind: 'position' }>,
  oneOperation: boolean,
  json: boolean,
): void {
  if (json) {
    const line = message.kind === 'event' ? { event: message.event } : { state: message.state };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return;
  }
  if (message.kind === 'event') process.stdout.write(`${eventLine(message.event, oneOperation)}\n`);
  else process.stdout.write(`${stateLine(message.state)}\n`);
}

function eventLine(event: ApiEvent, oneOperation: boolean): string {
  const stage = typeof event.data?.stage === 'string' ? event.data.stage : '';
  const where = oneOperation ? `v${event.version}` : `#${event.position}  ${event.subject}`;
  return [where, shortTime(event.time), event.type, stage, event.source].filter((part) => part !== '').join('  ');
}

function stateLine(state: OperationState | null): string {
  if (state === null) return '  = no events yet; waiting';
  const running = Object.entries(state.stages)
    .filter(([, stage]) => stage.status === 'running')
    .map(([name]) => name);
  return `  = ${state.status} at version ${state.version}${running.length > 0 ? ` (running: ${running.join(', ')})` : ''}`;
}
