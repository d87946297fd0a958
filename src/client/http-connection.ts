import { OpledgerApiError, OpledgerUnreachableError, type Problem } from './http-errors';

export interface HttpConnectionOptions {
  /** The service, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>` when the service has API keys. */
  apiKey?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** Fetch with opledger's conventions: base URL, bearer key, JSON, problem+json errors. */
export class HttpConnection {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpConnectionOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError(`not a URL: "${options.url}" (expected e.g. http://127.0.0.1:3000)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`the opledger URL must be http:// or https://, got "${options.url}"`);
    }
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json, application/problem+json',
      ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      ...extra,
    };
  }

  async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return (await this.request<T>('GET', withQuery(path, query))).body;
  }

  async request<T>(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<HttpResponse<T>> {
    const response = await this.fetch(path, {
      method,
      headers: this.headers(init.headers),
      body: init.body,
      signal: init.signal ?? AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new OpledgerApiError(response.status, problemOf(response.status, text), response.url);
    return { status: response.status, headers: response.headers, body: (text === '' ? null : JSON.parse(text)) as T };
  }

  /** The raw response (for streams), with network failures turned into OpledgerUnreachableError. */
  async fetch(path: string, init: RequestInit): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    try {
      return await fetch(url, init);
    } catch (error) {
      // The caller's own abort is not a connection problem.
      if (init.signal?.aborted && !isTimeout(init.signal.reason)) throw error;
      throw new OpledgerUnreachableError(this.baseUrl, describeFetchFailure(error));
    }
  }
}

export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

function problemOf(status: number, text: string): Problem {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null) return { status, ...(parsed as Partial<Problem>) };
  } catch {
    // Not JSON (a proxy's error page): keep the start of it as the detail.
  }
  return { status, title: `HTTP ${status}`, detail: text.slice(0, 200) || undefined };
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}

/** fetch() hides the useful part (ECONNREFUSED…) in `cause`. */
function describeFetchFailure(error: unknown): string {
  if (isTimeout(error)) return 'no answer in time';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code === 'ECONNREFUSED' ? 'connection refused (is the service running?)' : cause.code;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}
