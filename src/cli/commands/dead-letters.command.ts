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
