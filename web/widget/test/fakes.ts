// Test doubles: a scriptable WebSocket, a fake visitor API over fetch, and a Map storage.
import type { Frame } from '../src/types';

export class FakeSocket {
  static instances: FakeSocket[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readyState = 0;
  sent: unknown[] = [];
  closedWith: number | null = null;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static reset(): void {
    FakeSocket.instances = [];
  }

  static last(): FakeSocket {
    const s = FakeSocket.instances[FakeSocket.instances.length - 1];
    if (!s) throw new Error('no socket was opened');
    return s;
  }

  get params(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  // Server side.
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  frame(f: Frame): void {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(f) }));
  }

  serverClose(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '', wasClean: code !== 1006 } as CloseEvent);
  }
}

export const FakeWebSocket = FakeSocket as unknown as typeof WebSocket;

export class MemoryKV {
  map = new Map<string, string>();
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

export interface Call {
  method: string;
  path: string;
  auth: string | null;
  body: unknown;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | 'network';
type Route = (call: Call) => Reply | undefined;

/** A fake of the visitor API: routes answer calls; unmatched calls get 404. */
export class FakeServer {
  calls: Call[] = [];
  routes: Route[] = [];
  events: Frame[] = [];
  conversationId = 'c1';
  sessions = 0;
  messages = 0;
  token = 'btv_1';

  constructor() {
    this.routes.push((c) => {
      if (c.method === 'POST' && c.path === '/widget/v1/sessions') {
        this.sessions++;
        this.token = 'btv_' + this.sessions;
        return { status: 201, body: { session_id: 'web:s' + this.sessions, token: this.token, conversation_id: this.conversationId } };
      }
      if (c.method === 'GET' && c.path.startsWith('/widget/v1/config')) {
        return { status: 200, body: { name: 'Acme', greeting: 'Hi! How can we help?', identity_verification: false } };
      }
      if (c.method === 'POST' && c.path === '/widget/v1/messages') {
        this.messages++;
        const content = (c.body as { content: string }).content;
        const id = 'm' + this.messages;
        const created_at = '2025-01-01T10:00:00Z';
        this.events.push({ type: 'visitor_message', seq: this.events.length + 1, conversation_id: this.conversationId, data: { id, kind: 'visitor', content, created_at } });
        return { status: 201, body: { id, conversation_id: this.conversationId, kind: 'visitor', content, created_at } };
      }
      if (c.method === 'GET' && c.path.startsWith('/widget/v1/messages')) {
        const after = Number(new URL('http://x' + c.path).searchParams.get('after_seq'));
        return { status: 200, body: { conversation_id: this.conversationId, events: this.events.filter((e) => e.seq > after) } };
      }
      return undefined;
    });
  }

  /** Adds a route tried before the default ones. */
  on(route: Route): void {
    this.routes.unshift(route);
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = {
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      auth: headers.Authorization ?? null,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    this.calls.push(call);
    for (const r of this.routes) {
      const reply = r(call);
      if (reply === 'network') throw new TypeError('Failed to fetch');
      if (reply) {
        return new Response(reply.body === undefined ? '' : JSON.stringify(reply.body), {
          status: reply.status,
          headers: { 'Content-Type': 'application/json', ...reply.headers },
        });
      }
    }
    return new Response(JSON.stringify({ error: { code: 'not_found', message: 'Not found.' } }), { status: 404 });
  };
}

/** Lets pending promises and microtasks run. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}
