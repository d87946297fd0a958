#!/usr/bin/env node
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/app-config';
import { BackupLineError } from '../replay/backup/backup-line';
import { CliUsageError, ExitCode } from './cli-errors';
import { registerBackupCommands } from './commands/backup.commands';
import { registerReplayCommand } from './commands/replay.command';
import { registerDeadLettersCommand } from './commands/dead-letters.command';
import { registerEmitCommand } from './commands/emit.command';
import { registerOperationCommands } from './commands/operations.commands';
import { registerServeCommand } from './commands/serve.command';
import { registerStatsCommand } from './commands/stats.command';
import { registerTailCommand } from './commands/tail.command';

/**
 * The `opledger` command line. Each command group lives in its own file under
 * commands/ and is registered here; connections come from cli-context.ts
 * (DATABASE_URL or the embedded Postgres under DATA_DIR; never Kafka).
 */
export function buildProgram(): Command {
  const program = new Command('opledger')
    .description('opledger: the event log and its projections, from the command line')
    .option('-v, --verbose', 'also log what the service layer logs (on stderr)')
    .showHelpAfterError()
    .exitOverride();
  registerReplayCommand(program);
  registerBackupCommands(program);
  // Commands that talk to a running service over HTTP (--url, --key, --json).
  registerServeCommand(program);
  registerEmitCommand(program);
  registerOperationCommands(program);
  registerStatsCommand(program);
  registerTailCommand(program);
  registerDeadLettersCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CommanderError) {
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
      ? ExitCode.ok
      : ExitCode.usage;
  }
  if (error instanceof ConfigError || error instanceof CliUsageError) return ExitCode.usage;
  return ExitCode.failure;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    const code = exitCodeOf(error);
    // Commander has already printed its own errors.
    if (!(error instanceof CommanderError)) {
      const message =
        error instanceof ConfigError || error instanceof CliUsageError || error instanceof BackupLineError
          ? error.message
          : error instanceof Error
            ? (error.stack ?? error.message)
            : String(error);
      process.stderr.write(`opledger: ${message}\n`);
    }
    process.exitCode = code;
  }
}

if (require.main === module) void main(process.argv);
