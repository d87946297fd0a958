/**
 * Every request of the console goes through here: the REST API under /v1, the API key (if any)
 * from sessionStorage as a Bearer header (never in a URL), problem+json errors as ApiError.
 */
const KEY_STORAGE = 'opledger.apiKey';

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  field?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when the API answers 401: the key is missing, wrong or was removed from the service. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** The key was refused (a request or a stream answered 401): sign in again. */
export function notifyUnauthorized(): void {
  for (const listener of unauthorizedListeners) listener();
}

export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** A path with its query: undefined and empty values are left out. */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as Problem;
    if (body && typeof body === 'object') return { ...body, status: response.status };
  } catch {
    // not JSON: fall through
  }
  return { status: response.status, title: response.statusText };
}

export async function request<T>(
  method: 'GET' | 'POST',
  path: string,
  options: { signal?: AbortSignal; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(), ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(path, { method, headers, body, signal: options.signal, cache: 'no-store' });
  if (response.status === 401) notifyUnauthorized();
  if (!response.ok && response.status !== 304) throw new ApiError(response.status, await problemOf(response));
  const parsed = response.status === 304 ? (undefined as T) : ((await response.json()) as T);
  return { status: response.status, body: parsed, headers: response.headers };
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request<T>('GET', path, { signal })).body;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return (await request<T>('POST', path, { body })).body;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const { problem } = error;
    return `${problem.status} ${problem.title ?? ''}${problem.detail ? `: ${problem.detail}` : ''}`.trim();
  }
  return error instanceof Error ? error.message : String(error);
}
