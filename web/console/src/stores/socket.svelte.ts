// The agent socket /api/v1/ws (docs/protocol.md): connects with the session cookie,
// reconnects with capped exponential backoff and jitter (never a storm), and tells the app
// when it (re)opens so it can re-read the list and resume the open conversation.
import type { Frame } from '../lib/types';

export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'stopped';

export interface SocketLike {
  readyState: number;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface SocketDeps {
  create: (url: string) => SocketLike;
  url: () => string;
  random: () => number;
}

export const BACKOFF_BASE = 1000;
export const BACKOFF_MAX = 30000;
const OPEN = 1;

/** Delay before reconnect attempt n (0-based): 1 s, 2 s, 4 s … capped at 30 s, ±25 % jitter. */
export function backoffDelay(attempt: number, random: () => number): number {
  const base = Math.min(BACKOFF_MAX, BACKOFF_BASE * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.75 + random() * 0.5));
}

function defaultUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/v1/ws`;
}

export class AgentSocket {
  state = $state<SocketState>('idle');
  /** Failed attempts since the last successful open. */
  attempt = $state(0);
  /** When the next attempt is due (ms since epoch), for the indicator. */
  retryAt = $state(0);

  private deps: SocketDeps;
  private ws: SocketLike | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private openedBefore = false;
  private frameListeners = new Set<(f: Frame) => void>();
  private openListeners = new Set<(reconnected: boolean) => void>();
  private unauthorizedListeners = new Set<() => void>();

  constructor(deps: Partial<SocketDeps> = {}) {
    this.deps = {
      create: (url) => new WebSocket(url) as unknown as SocketLike,
      url: defaultUrl,
      random: Math.random,
      ...deps,
    };
  }

  onFrame(fn: (f: Frame) => void): () => void {
    this.frameListeners.add(fn);
    return () => this.frameListeners.delete(fn);
  }

  /** fn(reconnected): reconnected is false only for the very first open. */
  onOpen(fn: (reconnected: boolean) => void): () => void {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }

  onUnauthorized(fn: () => void): () => void {
    this.unauthorizedListeners.add(fn);
    return () => this.unauthorizedListeners.delete(fn);
  }

  start(): void {
    if (this.state !== 'idle' && this.state !== 'stopped' && this.state !== 'unauthorized') return;
    this.openedBefore = false;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.clearTimer();
    this.state = 'stopped';
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onerror = ws.onmessage = ws.onopen = null;
      try {
        ws.close(1000, 'signed out');
      } catch {
        // already closed
      }
    }
  }

  /** Reconnects now instead of waiting for the backoff (the browser came back online). */
  retryNow(): void {
    if (this.state !== 'reconnecting') return;
    this.clearTimer();
    this.connect();
  }

  /** Sends a frame if the socket is open; returns whether it was sent. */
  send(frame: object): boolean {
    if (!this.ws || this.ws.readyState !== OPEN || this.state !== 'open') return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private connect(): void {
    this.clearTimer();
    this.state = this.openedBefore || this.attempt > 0 ? 'reconnecting' : 'connecting';
    let ws: SocketLike;
    try {
      ws = this.deps.create(this.deps.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      const reconnected = this.openedBefore;
      this.openedBefore = true;
      this.attempt = 0;
      this.retryAt = 0;
      this.state = 'open';
      for (const fn of this.openListeners) fn(reconnected);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      let f: Frame;
      try {
        f = JSON.parse(String(ev.data)) as Frame;
      } catch {
        return;
      }
      if (!f || typeof f.type !== 'string') return;
      for (const fn of this.frameListeners) fn(f);
    };
    // onerror is always followed by onclose; only onclose acts.
    ws.onerror = () => {};
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4001) {
        this.state = 'unauthorized';
        for (const fn of this.unauthorizedListeners) fn();
        return;
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(this.attempt, this.deps.random);
    this.attempt++;
    this.state = 'reconnecting';
    this.retryAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export const socket = new AgentSocket();
