import { Command, Option } from 'commander';
import { BackupModule } from '../../replay/backup/backup.module';
import { EventLogExporter } from '../../replay/backup/event-log-export';
import { EventLogImporter } from '../../replay/backup/event-log-import';
import { integerArgument } from '../cli-arguments';
import { withCliContext } from '../cli-context';
import { ExitCode } from '../cli-errors';
import { ProgressReporter } from '../progress-reporter';

const count = (n: number) => n.toLocaleString('en-US');
const verboseOf = (command: Command) => command.optsWithGlobals<{ verbose?: boolean }>().verbose === true;

/** `opledger export` and `opledger import`: the log as NDJSON CloudEvents, for backups and restores. */
export function registerBackupCommands(program: Command): void {
  program
    .command('export')
    .description('write the event log as NDJSON (one CloudEvent per line, with its version and position)')
    .requiredOption('--out <file>', 'the file to write; gzip-compressed when it ends in .gz')
    .addOption(
      new Option('--after <position>', 'only events after this global position (incremental backup)')
        .argParser(integerArgument('--after', 0))
        .default(0),
    )
    .addOption(
      new Option('--page-size <n>', 'events per read')
        .argParser(integerArgument('--page-size', 1, 100_000))
        .default(1000),
    )
    .action(async (options: { out: string; after: number; pageSize: number }, command: Command) => {
      process.exitCode = await withCliContext(
        { modules: [BackupModule], verbose: verboseOf(command) },
        async ({ app }) => {
          const progress = new ProgressReporter('export', 'events');
          const summary = await app.get(EventLogExporter).export(options.out, {
            after: options.after,
            pageSize: options.pageSize,
            onProgress: (done, total) => progress.update(done, total),
          });
          progress.finish();
          process.stdout.write(
            `exported ${count(summary.events)} events (positions ${summary.after} < p <= ${summary.upTo}) to ${summary.file}\n` +
              `next incremental backup: opledger export --after ${summary.upTo} --out <file>\n`,
          );
          return ExitCode.ok;
        },
      );
    });

  program
    .command('import')
    .description('append a backup file to the log through the normal append path (idempotent by event id)')
    .argument('<file>', 'an NDJSON file written by opledger export (.gz or plain)')
    .addOption(
      new Option('--batch-size <n>', 'events per append transaction')
        .argParser(integerArgument('--batch-size', 1, 100_000))
        .default(500),
    )
    .action(async (file: string, options: { batchSize: number }, command: Command) => {
      process.exitCode = await withCliContext(
        { modules: [BackupModule], verbose: verboseOf(command) },
        async ({ app }) => {
          const progress = new ProgressReporter('import', 'bytes');
          const summary = await app.get(EventLogImporter).import(file, {
            batchSize: options.batchSize,
            onProgress: (read, total) => progress.update(read, total),
          });
          progress.finish();
          process.stdout.write(
            `imported ${summary.file}: ${count(summary.lines)} lines, ${count(summary.appended)} appended, ` +
              `${count(summary.duplicates)} already in the log\n`,
          );
          if (summary.renumbered > 0) {
            process.stdout.write(
              `${count(summary.renumbered)} events got another version than in the backup: ` +
                'the target already held events of their operations\n',
            );
          }
          return ExitCode.ok;
        },
      );
    });
}
