import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Frame } from '../lib/types';
import { AgentSocket, backoffDelay, BACKOFF_MAX, type SocketLike } from './socket.svelte';

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(d: string) {
    this.sent.push(d);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  fail(code = 1006) {
    this.readyState = 3;
    this.onerror?.({} as Event);
    this.onclose?.({ code } as CloseEvent);
  }
  frame(f: Frame) {
    this.onmessage?.({ data: JSON.stringify(f) } as MessageEvent);
  }
}

function make() {
  return new AgentSocket({ create: (u) => new FakeSocket(u), url: () => 'ws://test/api/v1/ws', random: () => 0.5 });
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('backoffDelay', () => {
  it('doubles from 1 s and stops at 30 s', () => {
    const mid = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((a) => backoffDelay(a, mid))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
  it('jitters within ±25 %', () => {
    expect(backoffDelay(0, () => 0)).toBe(750);
    expect(backoffDelay(0, () => 1)).toBe(1250);
    expect(backoffDelay(30, () => 1)).toBe(BACKOFF_MAX * 1.25);
  });
});

describe('AgentSocket', () => {
  it('connects, delivers frames and reports the first open', () => {
    const s = make();
    const opens: boolean[] = [];
    const frames: Frame[] = [];
    s.onOpen((r) => opens.push(r));
    s.onFrame((f) => frames.push(f));
    s.start();
    expect(s.state).toBe('connecting');
    FakeSocket.all[0]!.open();
    expect(s.state).toBe('open');
    expect(opens).toEqual([false]);
    FakeSocket.all[0]!.frame({ type: 'handoff', seq: 0, data: { conversation_id: 'c' } });
    FakeSocket.all[0]!.onmessage?.({ data: 'not json' } as MessageEvent);
    expect(frames.map((f) => f.type)).toEqual(['handoff']);
  });

  it('retries with growing delays while the server is unreachable, one socket at a time', () => {
    const s = make();
    s.start();
    FakeSocket.all[0]!.fail();
    expect(s.state).toBe('reconnecting');
    const expected = [1000, 2000, 4000, 8000, 16000, 30000, 30000];
    for (const [i, d] of expected.entries()) {
      vi.advanceTimersByTime(d - 1);
      expect(FakeSocket.all).toHaveLength(i + 1); // not yet
      vi.advanceTimersByTime(1);
      expect(FakeSocket.all).toHaveLength(i + 2);
      FakeSocket.all.at(-1)!.fail();
    }
    // Ten minutes of failures make at most ~25 attempts, never a storm.
    vi.advanceTimersByTime(600_000);
    expect(FakeSocket.all.length).toBeLessThan(30);
  });

  it('reports a reconnect after a drop and resets the backoff', () => {
    const s = make();
    const opens: boolean[] = [];
    s.onOpen((r) => opens.push(r));
    s.start();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.fail(1001);
    vi.advanceTimersByTime(1000);
    FakeSocket.all[1]!.fail();
    vi.advanceTimersByTime(2000);
    FakeSocket.all[2]!.open();
    expect(opens).toEqual([false, true]);
    expect(s.attempt).toBe(0);
    FakeSocket.all[2]!.fail(4000);
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all).toHaveLength(4);
  });

  it('does not retry after 4001 (unauthorized)', () => {
    const s = make();
    const unauth = vi.fn();
    s.onUnauthorized(unauth);
    s.start();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.fail(4001);
    expect(s.state).toBe('unauthorized');
    expect(unauth).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(120_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('stops cleanly: no retry after sign-out', () => {
    const s = make();
    s.start();
    FakeSocket.all[0]!.fail();
    s.stop();
    vi.advanceTimersByTime(120_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(s.state).toBe('stopped');
  });

  it('sends only while open', () => {
    const s = make();
    s.start();
    expect(s.send({ type: 'ping' })).toBe(false);
    FakeSocket.all[0]!.open();
    expect(s.send({ type: 'subscribe', conversation_id: 'c1', since: 7 })).toBe(true);
    expect(JSON.parse(FakeSocket.all[0]!.sent[0]!)).toEqual({ type: 'subscribe', conversation_id: 'c1', since: 7 });
  });

  it('retryNow skips the wait when the browser comes back online', () => {
    const s = make();
    s.start();
    FakeSocket.all[0]!.fail();
    vi.advanceTimersByTime(500);
    s.retryNow();
    expect(FakeSocket.all).toHaveLength(2);
  });
});
