/** The CLI's exit codes; scripts rely on them. */
export const ExitCode = {
  /** Done, and (verify) no difference. */
  ok: 0,
  /** The work failed, was cancelled, or (verify) found differences. */
  failure: 1,
  /** Bad arguments or configuration: nothing was attempted. */
  usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A bad argument found after parsing (commander reports the others). */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}
