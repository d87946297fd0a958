import { Command, Option } from 'commander';
import { OpledgerApi } from '../../client/opledger-api';
import { OpledgerApiError, OpledgerUnreachableError } from '../../client/http-errors';
import { CliUsageError, ExitCode } from '../cli-errors';

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:3000';

/** What every command that talks to a running service over HTTP accepts. */
export interface RemoteOptions {
  url: string;
  key?: string;
  json?: boolean;
}

/** --url / OPLEDGER_URL, --key / OPLEDGER_API_KEY, --json. */
export function withRemoteOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'the opledger service').env('OPLEDGER_URL').default(DEFAULT_SERVICE_URL))
    .addOption(new Option('--key <apiKey>', 'API key (when the service has API_KEYS)').env('OPLEDGER_API_KEY'))
    .option('--json', 'print JSON for scripts instead of text');
}

export interface RemoteContext {
  api: OpledgerApi;
  options: RemoteOptions;
  /** Prints a result: `value` as JSON with --json, else the text `render` makes of it. */
  print<T>(value: T, render: (value: T) => string): void;
}

/**
 * Runs a command against the service. A refusal (problem+json) or no answer is
 * printed as one clear line on stderr with exit code 1, never as a stack trace.
 */
export async function runRemote(
  options: RemoteOptions,
  work: (context: RemoteContext) => Promise<ExitCode | void>,
): Promise<void> {
  let api: OpledgerApi;
  try {
    api = new OpledgerApi({ url: options.url, apiKey: options.key, timeoutMs: 30_000 });
  } catch (error) {
    throw new CliUsageError(`--url: ${(error as Error).message}`);
  }
  const print = <T>(value: T, render: (value: T) => string) => {
    process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${render(value)}\n`);
  };
  try {
    process.exitCode = (await work({ api, options, print })) ?? ExitCode.ok;
  } catch (error) {
    const message = describeRemoteError(error, options);
    if (message === null) throw error;
    process.stderr.write(`opledger: ${message}\n`);
    process.exitCode = ExitCode.failure;
  }
}

/** One line for an error of the service or the network; null for anything else (a bug: let it surface). */
export function describeRemoteError(error: unknown, options: RemoteOptions): string | null {
  if (error instanceof OpledgerUnreachableError) return error.message;
  if (!(error instanceof OpledgerApiError)) return null;
  const { status, problem } = error;
  const title = problem.title ?? `HTTP ${status}`;
  const parts = [`${status} ${title}`];
  if (problem.detail) parts.push(problem.detail);
  let line = parts.join(': ');
  if (typeof problem.field === 'string') line += ` (field ${problem.field})`;
  if (status === 401) line += options.key ? ' (the key was not accepted)' : ' (pass --key or set OPLEDGER_API_KEY)';
  if (status === 403) line += ' (the key lacks the role for this; see docs/api.md#authentication)';
  return line;
}
