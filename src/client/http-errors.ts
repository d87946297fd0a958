/** An RFC 9457 problem as opledger answers errors (docs/api.md#errors). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  instance?: string;
  field?: string;
  currentVersion?: number;
  [extension: string]: unknown;
}

/** The service answered with an error status; `problem` is its problem+json body. */
export class OpledgerApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly url: string,
  ) {
    const title = problem.title ?? `HTTP ${status}`;
    super(problem.detail ? `${title}: ${problem.detail}` : title);
    this.name = 'OpledgerApiError';
  }

  /** 409/412: the operation was not at the expected version. */
  get currentVersion(): number | undefined {
    return typeof this.problem.currentVersion === 'number' ? this.problem.currentVersion : undefined;
  }
}

/** No answer at all: the service is down, the address is wrong, or the connection broke. */
export class OpledgerUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach opledger at ${url}: ${reason}`);
    this.name = 'OpledgerUnreachableError';
  }
}
