// A small client for the agent API. Every call sends the session cookie (same origin);
// errors come back as ApiError with the server's code and user-safe message.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds from the Retry-After header (429), else 0. */
  readonly retryAfter: number;

  constructor(status: number, code: string, message: string, retryAfter = 0) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** The message shown when the server cannot be reached at all. */
export const NETWORK_ERROR = "Can't reach the server. Check your connection and try again.";

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler | null = null;

/** Registers what happens when any call (other than signing in) answers 401. */
export function setUnauthorizedHandler(h: UnauthorizedHandler | null): void {
  onUnauthorized = h;
}

/** Tells the app a request answered 401 (for callers that do not go through request). */
export function reportUnauthorized(): void {
  onUnauthorized?.();
}

/** The ApiError of a non-2xx answer, from its status, headers and body text. */
export function errorFromResponse(status: number, text: string, retryAfterHeader: string | null): ApiError {
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  const e = (data as { error?: { code?: string; message?: string } } | null)?.error;
  const retry = Number.parseInt(retryAfterHeader ?? '', 10);
  return new ApiError(status, e?.code ?? 'http_' + status, e?.message ?? `The server answered ${status}.`, Number.isFinite(retry) ? retry : 0);
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Do not call the unauthorized handler on 401 (sign-in, the first /me). */
  quiet401?: boolean;
}

export type Fetcher = typeof fetch;
let fetcher: Fetcher = (...args) => fetch(...args);

/** Replaces fetch (tests). */
export function setFetcher(f: Fetcher): void {
  fetcher = f;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetcher(path, { method, headers, body, credentials: 'same-origin', signal: opts.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', NETWORK_ERROR);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!res.ok) {
    const err = errorFromResponse(res.status, text, res.headers.get('Retry-After'));
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
    throw err;
  }
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
  patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
  put: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PUT', path, { ...opts, body }),
  del: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
};

/** Builds a query string from the non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

/** The user-facing text of any error. */
export function errorText(err: unknown, fallback = 'Something went wrong.'): string {
  if (err instanceof ApiError) return err.message;
  return fallback;
}
