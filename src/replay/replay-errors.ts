/** Thrown inside a job when it sees its cancel request; the job ends as `cancelled`. */
export class ReplayCancelledError extends Error {
  constructor(readonly jobId: number) {
    super(`replay job ${jobId} was cancelled`);
    this.name = 'ReplayCancelledError';
  }
}

/** A rebuild is already running (rebuilds swap the live table: one at a time). */
export class RebuildInProgressError extends Error {
  constructor(readonly runningJobId: number | null) {
    super(
      runningJobId === null
        ? 'another rebuild is running'
        : `rebuild job ${runningJobId} is running; cancel it or wait for it to finish`,
    );
    this.name = 'RebuildInProgressError';
  }
}

export class ReplayJobNotFoundError extends Error {
  constructor(readonly jobId: number) {
    super(`there is no replay job ${jobId}`);
    this.name = 'ReplayJobNotFoundError';
  }
}

/** The job cannot be resumed (it succeeded, is still running, or was built by another fold definition). */
export class ReplayJobNotResumableError extends Error {
  constructor(
    readonly jobId: number,
    reason: string,
  ) {
    super(`replay job ${jobId} cannot be resumed: ${reason}`);
    this.name = 'ReplayJobNotResumableError';
  }
}
