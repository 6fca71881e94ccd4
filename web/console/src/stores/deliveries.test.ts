import { describe, expect, it } from 'vitest';
import { checkWebhook, formatDuration, lastAttempt } from '../lib/webhooks';
import type { DeliveryPage, WebhookDelivery } from '../lib/types';
import { DeliveryLog, LOG_MAX_POLLS } from './deliveries.svelte';

function delivery(p: Partial<WebhookDelivery> & { id: string }): WebhookDelivery {
  return {
    kind: 'event',
    event: 'ping',
    url: 'https://x/hook',
    status: 'succeeded',
    attempts: 1,
    max_attempts: 8,
    last_status_code: 200,
    last_error: '',
    created_at: '2025-01-01T10:00:00Z',
    updated_at: '2025-01-01T10:00:00Z',
    completed_at: '2025-01-01T10:00:00Z',
    log: [{ attempt: 1, status_code: 200, duration_ms: 12, error: '', at: '2025-01-01T10:00:00Z' }],
    ...p,
  };
}

function fake(pages: Record<string, DeliveryPage>[]) {
  const calls: string[] = [];
  const timers: (() => void)[] = [];
  const log = new DeliveryLog('/api/v1/webhooks/w1/deliveries', {
    get: async <T,>(p: string) => {
      calls.push(p);
      const set = pages.length > 1 ? pages.shift()! : pages[0]!;
      const cursor = new URL(p, 'http://x').searchParams.get('cursor') ?? '';
      return structuredClone(set[cursor]!) as T;
    },
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => {},
  });
  return { log, calls, timers };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('DeliveryLog', () => {
  it('pages with next_cursor, without repeats', async () => {
    const f = fake([{ '': { deliveries: [delivery({ id: 'd3' }), delivery({ id: 'd2' })], next_cursor: 'k' }, k: { deliveries: [delivery({ id: 'd2' }), delivery({ id: 'd1' })], next_cursor: '' } }]);
    await f.log.load();
    expect(f.calls[0]).toBe('/api/v1/webhooks/w1/deliveries?limit=20');
    expect(f.log.hasMore).toBe(true);
    await f.log.loadMore();
    expect(f.calls[1]).toBe('/api/v1/webhooks/w1/deliveries?limit=20&cursor=k');
    expect(f.log.rows.map((r) => r.id)).toEqual(['d3', 'd2', 'd1']);
    expect(f.log.hasMore).toBe(false);
    expect(f.timers).toHaveLength(0);
  });

  it('reads again while a delivery is pending, until it finishes', async () => {
    const pending = { '': { deliveries: [delivery({ id: 'p', status: 'pending', log: [] })], next_cursor: '' } };
    const done = { '': { deliveries: [delivery({ id: 'p' })], next_cursor: '' } };
    const f = fake([pending, done]);
    await f.log.load(true);
    expect(f.timers).toHaveLength(1);
    f.timers.shift()!();
    await flush();
    expect(f.log.rows[0]!.status).toBe('succeeded');
    expect(f.timers).toHaveLength(0);
  });

  it('gives up polling after a bound', async () => {
    const f = fake([{ '': { deliveries: [delivery({ id: 'p', status: 'retrying' })], next_cursor: '' } }]);
    await f.log.load(true);
    let n = 0;
    while (f.timers.length) {
      f.timers.shift()!();
      await flush();
      n++;
    }
    expect(n).toBe(LOG_MAX_POLLS);
  });

  it('an empty log and an error', async () => {
    const f = fake([{ '': { deliveries: null, next_cursor: '' } }]);
    await f.log.load();
    expect(f.log.rows).toEqual([]);
    expect(f.log.status).toBe('ready');
    const broken = new DeliveryLog('/x', { get: async () => Promise.reject(new Error('down')) });
    await broken.load();
    expect(broken.status).toBe('error');
  });
});

describe('webhook helpers', () => {
  it('checks the form', () => {
    expect(checkWebhook('https://desk.example.com/hook', ['ping'])).toEqual([]);
    expect(checkWebhook('', []).map((p) => p.field)).toEqual(['url', 'events']);
    expect(checkWebhook('javascript:alert(1)', ['x'])[0]?.field).toBe('url');
    expect(checkWebhook('ftp://x/y', ['x'])[0]?.field).toBe('url');
  });

  it('formats durations and finds the last attempt', () => {
    expect(formatDuration(85)).toBe('85 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(undefined)).toBe('');
    const d = delivery({ id: 'd', log: [{ attempt: 1, status_code: 500, duration_ms: 5, error: 'x', at: '' }, { attempt: 2, status_code: 200, duration_ms: 7, error: '', at: '' }] });
    expect(lastAttempt(d)?.attempt).toBe(2);
    expect(lastAttempt(delivery({ id: 'e', log: null }))).toBeUndefined();
  });
});
