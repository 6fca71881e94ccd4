// The visitor socket (docs/protocol.md): connects, hands frames on, and reconnects by
// itself with exponential backoff and jitter, resuming from the URL the owner builds
// (which carries since=<last seq>).
import type { Frame } from './types';

export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 30000;
export const PING_EVERY_MS = 25000;
/** A socket that has received nothing (not even a pong) for this long is taken as dead. */
export const SILENCE_LIMIT_MS = 60000;
/** A connection that stayed up this long resets the backoff. */
export const STABLE_AFTER_MS = 5000;

/** The close codes of the protocol. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_RESUME = 4000;
export const CLOSE_UNAUTHORIZED = 4001;
export const CLOSE_BAD_FRAME = 4002;

/**
 * The delay before reconnect attempt `attempt` (0-based): exponential from 1 s, capped at
 * 30 s, with "equal jitter" (between half and all of the step) so that many widgets
 * dropped by one server restart do not come back at the same instant.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(step / 2 + (random() * step) / 2);
}

export type SocketState = 'idle' | 'connecting' | 'open' | 'waiting';

export interface SocketOptions {
  /** The URL to connect to now (with the current since), or null when there is no session. */
  url(): string | null;
  onFrame(frame: Frame): void;
  /** Called on every state change; `failures` counts connection attempts that failed in a row. */
  onState?(state: SocketState, failures: number): void;
  /** Close code 4001: the token is not valid; the owner should open a new session. */
  onUnauthorized(): void;
  WebSocketImpl?: typeof WebSocket;
  random?: () => number;
  now?: () => number;
}

export class VisitorSocket {
  private ws: WebSocket | null = null;
  private state: SocketState = 'idle';
  private attempt = 0;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stableTimer: ReturnType<typeof setTimeout> | null = null;
  private lastHeard = 0;
  private running = false;

  constructor(private readonly opts: SocketOptions) {}

  get connected(): boolean {
    return this.state === 'open';
  }

  get currentState(): SocketState {
    return this.state;
  }

  /** Starts connecting (if not already) and keeps the socket up until stop(). */
  start(): void {
    this.running = true;
    if (this.ws || this.retryTimer) return;
    this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    this.running = false;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      detach(ws);
      try {
        ws.close(1000);
      } catch {
        // Already closed.
      }
    }
    this.setState('idle');
  }

  /** Drops the current connection (or pending retry) and connects again at once, e.g. when
   * the browser comes back online or the visitor presses Retry. */
  reconnectNow(): void {
    if (!this.running) return;
    this.attempt = 0;
    this.stop();
    this.running = true;
    this.connect();
  }

  /** Sends a frame if the socket is open; returns whether it was sent. */
  send(frame: { type: string; data?: unknown }): boolean {
    if (!this.ws || this.state !== 'open') return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private connect(): void {
    this.retryTimer = null;
    const url = this.opts.url();
    if (!url) {
      this.setState('idle');
      return;
    }
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Impl(url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.setState('connecting');
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.failures = 0;
      this.lastHeard = this.now();
      this.setState('open');
      this.stableTimer = setTimeout(() => {
        this.attempt = 0;
      }, STABLE_AFTER_MS);
      this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      this.lastHeard = this.now();
      const frame = parseFrame(ev.data);
      if (frame && frame.type !== 'pong') this.opts.onFrame(frame);
    };
    ws.onerror = () => {
      // A close event always follows; the decision is taken there.
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      if (this.state !== 'open') this.failures++;
      if (ev.code === CLOSE_UNAUTHORIZED) {
        this.running = false;
        this.setState('idle');
        this.opts.onUnauthorized();
        return;
      }
      if (ev.code === CLOSE_BAD_FRAME) {
        // The server refused a frame of ours: retrying would send it again. Stay closed;
        // the REST fallback keeps the conversation going.
        this.running = false;
        this.setState('idle');
        return;
      }
      // 1001 (going away), 4000 (resume), 1006 (network loss) and anything else.
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (!this.running) {
      this.setState('idle');
      return;
    }
    const delay = backoffDelay(this.attempt++, this.opts.random);
    this.setState('waiting');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private ping(): void {
    if (this.now() - this.lastHeard > SILENCE_LIMIT_MS) {
      // Nothing heard for a minute: the connection is dead without having said so.
      const ws = this.ws;
      if (ws) {
        detach(ws);
        try {
          ws.close(CLOSE_RESUME);
        } catch {
          // Already closed.
        }
      }
      this.ws = null;
      this.clearTimers();
      this.scheduleRetry();
      return;
    }
    this.send({ type: 'ping' });
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.retryTimer = this.pingTimer = this.stableTimer = null;
  }

  private setState(s: SocketState): void {
    this.state = s;
    this.opts.onState?.(s, this.failures);
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }
}

function detach(ws: WebSocket): void {
  ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
}

/** Parses one frame; anything that is not a frame object is dropped. */
export function parseFrame(raw: unknown): Frame | null {
  if (typeof raw !== 'string') return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const f = v as Record<string, unknown>;
  if (typeof f.type !== 'string') return null;
  return {
    type: f.type,
    seq: typeof f.seq === 'number' && f.seq > 0 ? f.seq : 0,
    conversation_id: typeof f.conversation_id === 'string' ? f.conversation_id : undefined,
    data: f.data && typeof f.data === 'object' ? (f.data as Record<string, unknown>) : {},
  };
}
