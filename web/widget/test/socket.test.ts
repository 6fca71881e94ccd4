import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BACKOFF_CAP_MS,
  PING_EVERY_MS,
  VisitorSocket,
  backoffDelay,
  parseFrame,
  type SocketState,
} from '../src/socket';
import type { Frame } from '../src/types';
import { FakeSocket, FakeWebSocket } from './fakes';

describe('backoffDelay', () => {
  it('doubles from one second with jitter between half and all of the step', () => {
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(0, () => 1)).toBe(1000);
    expect(backoffDelay(3, () => 0)).toBe(4000);
    expect(backoffDelay(3, () => 1)).toBe(8000);
  });

  it('never waits more than 30 seconds', () => {
    for (const attempt of [5, 6, 10, 100, 10000]) {
      expect(backoffDelay(attempt, () => 1)).toBe(BACKOFF_CAP_MS);
      expect(backoffDelay(attempt, () => 0)).toBe(BACKOFF_CAP_MS / 2);
    }
  });
});

describe('parseFrame', () => {
  it('reads a frame and defaults what is missing', () => {
    expect(parseFrame('{"type":"pong","seq":0}')).toEqual({ type: 'pong', seq: 0, conversation_id: undefined, data: {} });
  });
  it('drops what is not a frame', () => {
    for (const raw of ['nope', '42', 'null', '{"seq":1}', new ArrayBuffer(2)]) expect(parseFrame(raw)).toBeNull();
  });
});

describe('VisitorSocket', () => {
  let frames: Frame[];
  let states: SocketState[];
  let unauthorized: number;
  let since: number;
  let sock: VisitorSocket;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.reset();
    frames = [];
    states = [];
    unauthorized = 0;
    since = 0;
    sock = new VisitorSocket({
      url: () => `ws://h/widget/v1/ws?token=t&since=${since}&conversation_id=c1`,
      onFrame: (f) => {
        frames.push(f);
        if (f.seq) since = f.seq;
      },
      onState: (s) => states.push(s),
      onUnauthorized: () => unauthorized++,
      WebSocketImpl: FakeWebSocket,
      random: () => 1,
    });
  });

  afterEach(() => {
    sock.stop();
    vi.useRealTimers();
  });

  it('hands frames on and swallows pongs', () => {
    sock.start();
    const ws = FakeSocket.last();
    ws.open();
    ws.frame({ type: 'bot_message', seq: 1, conversation_id: 'c1', data: { content: 'hi' } });
    ws.frame({ type: 'pong', seq: 0 });
    expect(frames.map((f) => f.type)).toEqual(['bot_message']);
    expect(sock.connected).toBe(true);
  });

  for (const code of [1001, 1006, 4000]) {
    it(`reconnects after close ${code}, resuming with since=<last seq>`, () => {
      sock.start();
      const first = FakeSocket.last();
      first.open();
      first.frame({ type: 'bot_message', seq: 7, conversation_id: 'c1', data: {} });
      first.serverClose(code);
      expect(FakeSocket.instances).toHaveLength(1);
      vi.advanceTimersByTime(999);
      expect(FakeSocket.instances).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(FakeSocket.instances).toHaveLength(2);
      expect(FakeSocket.last().params.get('since')).toBe('7');
    });
  }

  it('backs off exponentially while the server stays away, capped at 30 s', () => {
    sock.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const n = FakeSocket.instances.length;
      FakeSocket.last().serverClose(1006);
      let waited = 0;
      while (FakeSocket.instances.length === n) {
        vi.advanceTimersByTime(100);
        waited += 100;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(states).toContain('waiting');
  });

  it('starts the backoff over once a connection has stayed up', () => {
    sock.start();
    FakeSocket.last().serverClose(1006);
    vi.advanceTimersByTime(1000);
    FakeSocket.last().serverClose(1006);
    vi.advanceTimersByTime(2000);
    const ws = FakeSocket.last();
    ws.open();
    vi.advanceTimersByTime(6000);
    ws.serverClose(1001);
    const n = FakeSocket.instances.length;
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.instances.length).toBe(n + 1);
  });

  it('does not retry on 4001 and asks for a new session', () => {
    sock.start();
    FakeSocket.last().serverClose(4001);
    vi.advanceTimersByTime(120000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(unauthorized).toBe(1);
  });

  it('does not retry on 4002 (a bad frame of ours)', () => {
    sock.start();
    FakeSocket.last().open();
    FakeSocket.last().serverClose(4002);
    vi.advanceTimersByTime(120000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('pings every 25 s and reconnects when nothing is heard for a minute', () => {
    let now = 0;
    const s = new VisitorSocket({
      url: () => 'ws://h/widget/v1/ws?token=t&since=0',
      onFrame: () => {},
      onUnauthorized: () => {},
      WebSocketImpl: FakeWebSocket,
      random: () => 1,
      now: () => now,
    });
    s.start();
    const ws = FakeSocket.last();
    ws.open();
    now += PING_EVERY_MS;
    vi.advanceTimersByTime(PING_EVERY_MS);
    expect(ws.sent).toEqual([{ type: 'ping' }]);
    now += PING_EVERY_MS;
    vi.advanceTimersByTime(PING_EVERY_MS);
    now += PING_EVERY_MS;
    vi.advanceTimersByTime(PING_EVERY_MS); // 75 s of silence
    expect(ws.closedWith).toBe(4000);
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    s.stop();
  });

  it('sends frames only while open', () => {
    sock.start();
    expect(sock.send({ type: 'typing', data: { typing: true } })).toBe(false);
    FakeSocket.last().open();
    expect(sock.send({ type: 'typing', data: { typing: true } })).toBe(true);
    expect(FakeSocket.last().sent).toEqual([{ type: 'typing', data: { typing: true } }]);
  });

  it('stays down after stop()', () => {
    sock.start();
    const ws = FakeSocket.last();
    ws.open();
    sock.stop();
    expect(ws.closedWith).toBe(1000);
    vi.advanceTimersByTime(120000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it('reconnects at once when asked', () => {
    sock.start();
    FakeSocket.last().serverClose(1006);
    sock.reconnectNow();
    expect(FakeSocket.instances).toHaveLength(2);
  });
});
