import { Command, Option } from 'commander';
import { InvalidEventError, type JsonObject } from '../../client/cloud-event';
import { HttpTransport } from '../../client/http-transport';
import { OpledgerClient, type EmitResult } from '../../client/opledger-client';
import { KNOWN_EVENT_TYPES, STAGE_EVENT_TYPES } from '../../envelope/operation-event';
import { integerArgument } from '../cli-arguments';
import { CliUsageError, ExitCode } from '../cli-errors';
import { operationIdArgument } from './operations.commands';
import { type RemoteOptions, runRemote, withRemoteOptions } from './remote-service';

interface EmitCommandOptions extends RemoteOptions {
  stage?: string;
  data?: string;
  source: string;
  eventId?: string;
  expectedVersion?: number;
  time?: string;
}

/** `opledger emit ID TYPE`: append one event over HTTP (role writer), e.g. to fix or test by hand. */
export function registerEmitCommand(program: Command): void {
  withRemoteOptions(
    program
      .command('emit')
      .description('append one event to an operation over HTTP (needs a writer key when keys are configured)')
      .argument('<id>', 'operation id')
      .argument('<type>', `event type: ${KNOWN_EVENT_TYPES.join(', ')}, or any other`)
      .option('--stage <name>', 'the stage (stage.* events)')
      .option('--data <json>', 'the event data, a JSON object (merged with --stage)')
      .option('--source <source>', 'the producing service', 'cli/opledger')
      .option(
        '--event-id <id>',
        'the event id; default a fresh UUID. A resend is idempotent only with the same content, --time included',
      )
      .addOption(
        new Option('--expected-version <n>', 'store only if the operation is at this version').argParser(
          integerArgument('--expected-version', 0),
        ),
      )
      .option('--time <time>', 'when it happened (RFC 3339); default now'),
  ).action(async (id: string, type: string, options: EmitCommandOptions) => {
    const operationId = operationIdArgument(id);
    const data = eventData(type, options);
    await runRemote(options, async ({ print }) => {
      const client = new OpledgerClient({
        source: options.source,
        // A person at a terminal wants a failure now, not after a series of retries.
        transport: new HttpTransport({ url: options.url, apiKey: options.key, retries: 0 }),
      });
      let result: EmitResult;
      try {
        result = await client.emit(operationId, type, data, {
          id: options.eventId,
          expectedVersion: options.expectedVersion,
          time: options.time,
        });
      } catch (error) {
        if (error instanceof InvalidEventError) throw new CliUsageError(error.message);
        throw error;
      }
      print(result, ({ event, stored }) =>
        stored?.status === 'duplicate'
          ? `event ${event.id} was already stored (version ${stored.version}): nothing changed`
          : `appended ${event.type} to ${operationId} as version ${stored?.version} (event ${event.id}, position ${stored?.position})`,
      );
      return ExitCode.ok;
    });
  });
}

function eventData(type: string, options: EmitCommandOptions): JsonObject | undefined {
  let data: JsonObject | undefined;
  if (options.data !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(options.data);
    } catch (error) {
      throw new CliUsageError(`--data is not JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CliUsageError('--data must be a JSON object');
    }
    data = parsed as JsonObject;
  }
  if (options.stage !== undefined) data = { ...data, stage: options.stage };
  if (STAGE_EVENT_TYPES.has(type) && typeof data?.stage !== 'string') {
    throw new CliUsageError(`${type} needs a stage: --stage NAME`);
  }
  return data;
}
