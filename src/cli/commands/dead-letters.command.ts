import { Command, Option } from 'commander';
import type { DeadLetterPage } from '../../client/api-types';
import { integerArgument } from '../cli-arguments';
import { shortTime } from './render/durations';
import { renderTable } from './render/text-table';
import { type RemoteOptions, runRemote, withRemoteOptions } from './remote-service';

/** `opledger dead-letters`: the inputs opledger refused, newest first (role admin). */
export function registerDeadLettersCommand(program: Command): void {
  withRemoteOptions(
    program
      .command('dead-letters')
      .description('list refused inputs with their reasons, newest first (needs an admin key)')
      .addOption(new Option('--limit <n>', '1 to 500').argParser(integerArgument('--limit', 1, 500)).default(50))
      .option('--cursor <cursor>', 'the next page, as printed after the previous one'),
  ).action(async (options: RemoteOptions & { limit: number; cursor?: string }) => {
    await runRemote(options, async ({ api, print }) => {
      print(await api.deadLetters({ limit: options.limit, cursor: options.cursor }), renderDeadLetters);
    });
  });

  const deadLetters = program.commands.find((command) => command.name() === 'dead-letters')!;
  withRemoteOptions(
    deadLetters
      .command('republish')
      .description('send dead letters back to the main topic once their cause is fixed (needs an admin key)')
      .argument('<ids...>', 'dead-letter ids, as listed by `opledger dead-letters`', collectIds),
  ).action(async (ids: number[], _options: RemoteOptions, command: Command) => {
    // --url/--key/--json may sit after the ids, where commander hands them to the parent command.
    const options = command.optsWithGlobals<RemoteOptions>();
    await runRemote(options, async ({ api, print }) => {
      print(await api.republishDeadLetters(ids), (result) =>
        [
          `re-published: ${result.republished.length === 0 ? '(none)' : result.republished.join(' ')}`,
          ...(result.notFound.length > 0 ? [`not found (or not from Kafka): ${result.notFound.join(' ')}`] : []),
        ].join('\n'),
      );
    });
  });
}

function collectIds(value: string, previous: number[] = []): number[] {
  return [...previous, integerArgument('id', 1, Number.MAX_SAFE_INTEGER)(value)];
}

function renderDeadLetters(page: DeadLetterPage): string {
  if (page.items.length === 0) return '(no dead letters)';
  const table = renderTable(page.items, [
    { header: 'ID', value: (d) => d.id, align: 'right' },
    { header: 'AT', value: (d) => shortTime(d.createdAt) },
    { header: 'REASON', value: (d) => d.reason },
    { header: 'CHANNEL', value: (d) => d.channel },
    {
      header: 'WHERE',
      value: (d) => (d.topic === null ? '-' : `${d.topic}/${d.partition ?? '?'}@${d.offset ?? '?'}`),
      maxWidth: 40,
    },
    { header: 'OPERATION', value: (d) => d.operationId ?? d.key ?? '-', maxWidth: 32 },
    { header: 'DETAIL', value: (d) => d.detail, maxWidth: 80 },
  ]);
  return page.nextCursor === null ? table : `${table}\n(more: --cursor ${page.nextCursor})`;
}
