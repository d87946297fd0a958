import { HttpException } from '@nestjs/common';

/** RFC 9457 problem details. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://opledger.dev/problems/';

/** Thrown by handlers; the filter renders it as application/problem+json. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly problemType: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    /** Response headers that go with the problem (WWW-Authenticate, Retry-After…). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail, status);
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      type: `${TYPE_BASE}${this.problemType}`,
      title: this.title,
      status: this.getStatus(),
      detail: this.detail,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export function problem(
  status: number,
  problemType: string,
  title: string,
  detail: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): ProblemException {
  return new ProblemException(status, problemType, title, detail, extensions, headers);
}

export const Problems = {
  validation: (field: string, detail: string) => problem(400, 'validation', 'Invalid request', detail, { field }),
  notFound: (what: string, detail: string) => problem(404, 'not-found', `${what} not found`, detail),
};
