import { Command, Option } from 'commander';
import { isValidOperationId } from '../../envelope/parse-cloud-event';
import { OperationRebuilder } from '../../replay/operation-rebuild';
import { DEFAULT_PAGE_SIZE, ProjectionRebuilder, ReplayJobHandle } from '../../replay/projection-rebuilder';
import type { ReplayJob } from '../../replay/jobs/replay-job';
import { ReplayModule } from '../../replay/replay.module';
import { integerArgument } from '../cli-arguments';
import { CliContext, withCliContext } from '../cli-context';
import { CliUsageError, ExitCode } from '../cli-errors';
import { ProgressReporter } from '../progress-reporter';

interface ReplayOptions {
  verify?: boolean;
  operation?: string;
  resume?: number;
  cancel?: number;
  pageSize: number;
}

type Print = (line: string) => void;

const out: Print = (line) => process.stdout.write(`${line}\n`);
const err: Print = (line) => process.stderr.write(`${line}\n`);
const count = (n: number) => n.toLocaleString('en-US');

/** `opledger replay`: rebuild (default), --verify, --operation ID, --resume JOB, --cancel JOB. */
export function registerReplayCommand(program: Command): void {
  const modes = ['verify', 'operation', 'resume', 'cancel'];
  const exclusive = (name: string) => modes.filter((m) => m !== name);
  program
    .command('replay')
    .description('rebuild the operations projection from the event log, with zero downtime')
    .addOption(
      new Option('--verify', 'rebuild into a shadow table and diff it against the live projection').conflicts(
        exclusive('verify'),
      ),
    )
    .addOption(new Option('--operation <id>', 'rebuild one operation in place').conflicts(exclusive('operation')))
    .addOption(
      new Option('--resume <jobId>', 'continue a cancelled, failed or interrupted rebuild from its checkpoint')
        .argParser(integerArgument('--resume', 1, 2_147_483_647))
        .conflicts(exclusive('resume')),
    )
    .addOption(
      new Option('--cancel <jobId>', 'stop a running rebuild (here or in the service) at its next checkpoint')
        .argParser(integerArgument('--cancel', 1, 2_147_483_647))
        .conflicts(exclusive('cancel')),
    )
    .addOption(
      new Option('--page-size <n>', 'events per read and rows per write (bounds memory)')
        .argParser(integerArgument('--page-size', 1, 100_000))
        .default(DEFAULT_PAGE_SIZE),
    )
    .action(async (options: ReplayOptions, command: Command) => {
      if (options.operation !== undefined && !isValidOperationId(options.operation)) {
        throw new CliUsageError('--operation must be an operation id: 1 to 200 characters of [A-Za-z0-9._:-]');
      }
      const verbose = command.optsWithGlobals<{ verbose?: boolean }>().verbose === true;
      process.exitCode = await withCliContext({ modules: [ReplayModule], verbose }, (context) =>
        replay(context, options),
      );
    });
}

async function replay(context: CliContext, options: ReplayOptions): Promise<ExitCode> {
  const rebuilder = context.app.get(ProjectionRebuilder);
  if (options.operation !== undefined) return rebuildOperation(context, options.operation);
  if (options.cancel !== undefined) {
    const job = await rebuilder.cancel(options.cancel);
    if (job.status !== 'running') {
      err(`${job.kind} job ${job.id} is not running (${job.status})`);
      return ExitCode.failure;
    }
    out(`cancel requested: ${job.kind} job ${job.id} stops at its next checkpoint`);
    return ExitCode.ok;
  }

  // Ctrl-C: stop at the next checkpoint (resumable); a second Ctrl-C exits at once.
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(ExitCode.failure);
    err('\nstopping at the next checkpoint (Ctrl-C again to quit at once)');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let progress: ProgressReporter | null = null;
    const run = { pageSize: options.pageSize, signal: interrupt.signal };
    const onProgress = (job: ReplayJob) => {
      progress ??= new ProgressReporter(`${job.kind} job ${job.id}`, 'events');
      progress.update(job.eventsDone, job.eventsTotal, job.phase);
    };
    const started = Date.now();
    const handle: ReplayJobHandle | null = options.verify
      ? await rebuilder.startVerify({ ...run, onProgress })
      : options.resume !== undefined
        ? await rebuilder.resume(options.resume, { ...run, onProgress })
        : await rebuilder.startRebuild({ ...run, onProgress });
    const job = await handle!.done;
    (progress as ProgressReporter | null)?.finish();
    return report(job, (Date.now() - started) / 1000);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function report(job: ReplayJob, seconds: number): ExitCode {
  const name = `${job.kind} job ${job.id}`;
  if (job.status === 'cancelled' || job.status === 'failed') {
    const why = job.status === 'failed' ? `failed: ${job.error}` : 'cancelled';
    const done = job.eventsTotal === null ? '' : ` after ${count(job.eventsDone)} of ${count(job.eventsTotal)} events`;
    err(`${name} ${why}${done}`);
    if (job.kind === 'rebuild') err(`resume it with: opledger replay --resume ${job.id}`);
    return ExitCode.failure;
  }
  const upTo = count(job.caughtUpPosition ?? job.horizonPosition ?? 0);
  if (job.kind === 'rebuild') {
    out(
      `${name} succeeded in ${seconds.toFixed(1)} s: ${count(job.eventsDone)} events of ${count(job.operationsDone)} ` +
        `operations folded, swapped in at position ${upTo} (fold definition ${job.definitionVersion})`,
    );
    return ExitCode.ok;
  }
  const verify = job.report!;
  if (verify.differences === 0) {
    out(
      `${name}: the live projection matches the log (${count(job.operationsDone)} operations, up to position ${upTo})`,
    );
  } else {
    out(
      `${name}: ${count(verify.differences)} operation(s) differ from the log (up to position ${upTo}); for example:`,
    );
    for (const example of verify.examples) {
      const what =
        example.liveVersion === null
          ? `missing from the live projection (rebuilt version ${example.rebuiltVersion})`
          : example.rebuiltVersion === null
            ? `in the live projection (version ${example.liveVersion}) but not in the log`
            : `live version ${example.liveVersion}, rebuilt version ${example.rebuiltVersion}; differs in ${example.columns.join(', ')}`;
      out(`  ${example.operationId}  ${what}`);
    }
    out('repair one with `opledger replay --operation ID`, or all with `opledger replay`');
  }
  if (verify.unsettled.length > 0) {
    out(`${verify.unsettled.length} operation(s) kept changing during the check and were not compared`);
  }
  const readModels = verify.readModels;
  if (readModels && readModels.differences > 0) {
    out(`${name}: ${count(readModels.differences)} difference(s) in the counters, indexes or rollups; for example:`);
    for (const example of readModels.examples) out(`  ${example}`);
    out('rebuild them with `opledger replay` (a full rebuild recomputes them)');
  } else if (readModels) {
    out(
      readModels.unsettled
        ? `${name}: counters and indexes match; the rollups were not compared (the log kept growing)`
        : `${name}: counters, stage and source indexes and stage rollups match`,
    );
  }
  return verify.differences === 0 && (readModels?.differences ?? 0) === 0 ? ExitCode.ok : ExitCode.failure;
}

async function rebuildOperation(context: CliContext, operationId: string): Promise<ExitCode> {
  const result = await context.app.get(OperationRebuilder).rebuild(operationId);
  if (result.versionAfter === null) {
    err(
      `operation ${operationId} has no events in the log` +
        (result.versionBefore === null
          ? ''
          : `; its stale projection row (version ${result.versionBefore}) was removed`),
    );
    return ExitCode.failure;
  }
  const what = !result.changed
    ? 'the projection was already right'
    : result.versionBefore === null
      ? 'the projection row was missing and has been written'
      : `the projection (version ${result.versionBefore}) was wrong and has been replaced`;
  out(`operation ${operationId} rebuilt at version ${result.versionAfter}: ${what}`);
  return ExitCode.ok;
}
