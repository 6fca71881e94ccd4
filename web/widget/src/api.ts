// The visitor REST API (/widget/v1). Every call resolves with the decoded body or rejects
// with an ApiError; a network failure is an ApiError with status 0.
import type { ChatbotConfig, EventPage, Session, StoredMessage } from './types';

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The error code of the JSON error body ("rate_limited", …), or "network". */
    readonly code: string,
    message: string,
    /** Seconds from Retry-After, when the server sent one. */
    readonly retryAfter = 0,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** True when the server was unreachable or failed: worth the error banner and a retry. */
  get unreachable(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

export interface SessionRequest {
  chatbot: string;
  name?: string;
  email?: string;
  user_id?: string;
  user_hash?: string;
}

export interface OfflineRequest {
  name: string;
  email: string;
  message: string;
}

type Fetch = typeof fetch;

export class Api {
  constructor(
    readonly baseURL: string,
    private readonly fetchFn: Fetch = (input, init) => fetch(input, init),
  ) {}

  openSession(req: SessionRequest): Promise<Session> {
    return this.call<Session>('POST', '/widget/v1/sessions', undefined, req);
  }

  config(chatbot: string): Promise<ChatbotConfig> {
    return this.call<ChatbotConfig>('GET', '/widget/v1/config?chatbot=' + encodeURIComponent(chatbot));
  }

  postMessage(token: string, content: string): Promise<StoredMessage> {
    return this.call<StoredMessage>('POST', '/widget/v1/messages', token, { content });
  }

  events(token: string, afterSeq: number, limit = 500): Promise<EventPage> {
    return this.call<EventPage>('GET', `/widget/v1/messages?after_seq=${afterSeq}&limit=${limit}`, token);
  }

  offline(token: string, req: OfflineRequest): Promise<unknown> {
    return this.call<unknown>('POST', '/widget/v1/offline', token, req);
  }

  /** The socket URL for a token, resuming after `since` in `conversationId`. */
  socketURL(token: string, since: number, conversationId?: string): string {
    const u = new URL('/widget/v1/ws', this.baseURL);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('token', token);
    u.searchParams.set('since', String(since));
    if (conversationId) u.searchParams.set('conversation_id', conversationId);
    return u.toString();
  }

  private async call<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    let res: Response;
    try {
      res = await this.fetchFn(this.baseURL + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        mode: 'cors',
      });
    } catch {
      throw new ApiError(0, 'network', "We can't reach the chat server right now.");
    }
    let decoded: unknown = null;
    const text = await res.text().catch(() => '');
    if (text) {
      try {
        decoded = JSON.parse(text);
      } catch {
        decoded = null;
      }
    }
    if (!res.ok) {
      const err = (decoded as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof err?.code === 'string' ? err.code : 'http_' + res.status;
      const message = typeof err?.message === 'string' && err.message ? err.message : defaultMessage(res.status);
      const retryAfter = Number(res.headers.get('Retry-After')) || 0;
      throw new ApiError(res.status, code, message, retryAfter);
    }
    return decoded as T;
  }
}

function defaultMessage(status: number): string {
  if (status === 429) return 'You are sending messages a little fast. Please wait a moment.';
  if (status >= 500) return 'The chat server had a problem. Please try again.';
  return 'Something went wrong. Please try again.';
}
