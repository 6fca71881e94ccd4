import { describe, expect, it } from 'vitest';
import { ApiError } from '../lib/api';
import type { Analysis } from '../lib/types';
import { AnalysisStore, MAX_POLLS, POLL_MS } from './analysis.svelte';

function analysis(p: Partial<Analysis> = {}): Analysis {
  return {
    conversation_id: 'c1',
    status: 'done',
    reason: 'manual',
    engine: 'builtin',
    model: '',
    summary: 'The visitor asks where order #1234 is.',
    sentiment: { label: 'negative', score: -0.4 },
    fields: [{ name: 'order_number', type: 'string', value: '1234' }],
    entities: { emails: [], phones: [], order_ids: ['1234'] },
    error: '',
    attempts: 1,
    requested_at: '2025-01-01T10:00:00Z',
    completed_at: '2025-01-01T10:00:02Z',
    ...p,
  };
}

/** A fake server with an answer queue for GET and POST, and manual timers. */
function fake(gets: (Analysis | ApiError)[], post?: Analysis | ApiError) {
  const calls: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const answer = (a: Analysis | ApiError | undefined) => {
    if (a instanceof ApiError) throw a;
    if (!a) throw new ApiError(404, 'not_found', 'Analysis not found.');
    return structuredClone(a);
  };
  const store = new AnalysisStore({
    get: async <T,>(p: string) => {
      calls.push('GET ' + p);
      return answer(gets.length > 1 ? gets.shift() : gets[0]) as T;
    },
    post: async <T,>(p: string) => {
      calls.push('POST ' + p);
      return answer(post) as T;
    },
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => {},
  });
  const tick = async () => {
    const t = timers.shift();
    if (!t) return false;
    t.fn();
    await Promise.resolve();
    await Promise.resolve();
    return true;
  };
  return { store, calls, timers, tick };
}

describe('AnalysisStore', () => {
  it('shows a done analysis without polling', async () => {
    const f = fake([analysis()]);
    await f.store.open('c1');
    expect(f.store.state).toBe('ready');
    expect(f.store.analysis?.summary).toContain('#1234');
    expect(f.timers).toHaveLength(0);
    expect(f.calls).toEqual(['GET /api/v1/conversations/c1/analysis']);
  });

  it('says there is none on 404, and "Analyse now" polls until it is done', async () => {
    const f = fake([new ApiError(404, 'not_found', 'Analysis not found.'), analysis({ status: 'pending' }), analysis()], analysis({ status: 'pending', summary: '' }));
    await f.store.open('c1');
    expect(f.store.state).toBe('none');
    expect(await f.store.request()).toBe(true);
    expect(f.calls.at(-1)).toBe('POST /api/v1/conversations/c1/analysis');
    expect(f.store.pending).toBe(true);
    expect(f.timers[0]?.ms).toBe(POLL_MS);
    await f.tick(); // still pending
    expect(f.store.pending).toBe(true);
    await f.tick(); // done
    expect(f.store.pending).toBe(false);
    expect(f.store.analysis?.sentiment.label).toBe('negative');
    expect(f.timers).toHaveLength(0);
  });

  it('stops polling after MAX_POLLS and says it is stalled; Refresh starts again', async () => {
    const f = fake([analysis({ status: 'pending' })]);
    await f.store.open('c1');
    let n = 0;
    while (await f.tick()) n++;
    expect(n).toBe(MAX_POLLS);
    expect(f.store.stalled).toBe(true);
    await f.store.refresh();
    expect(f.store.stalled).toBe(false);
    expect(f.timers).toHaveLength(1);
  });

  it('shows an error state when the first read fails, and a request error apart', async () => {
    const f = fake([new ApiError(500, 'internal', 'Something broke.')], new ApiError(403, 'forbidden', 'Not allowed.'));
    await f.store.open('c1');
    expect(f.store.state).toBe('error');
    expect(f.store.error).toBe('Something broke.');
    expect(await f.store.request()).toBe(false);
    expect(f.store.requestError).toBe('Not allowed.');
  });

  it('ignores answers for a conversation that is no longer shown', async () => {
    const f = fake([analysis({ status: 'pending' })]);
    await f.store.open('c1');
    f.store.close();
    await f.tick();
    expect(f.calls.filter((c) => c.startsWith('GET'))).toHaveLength(1);
  });
});
