import { describe, expect, it } from 'vitest';
import { ApiError } from '../lib/api';
import type { Analysis, Frame } from '../lib/types';
import { AnalysisStore, STALL_MS, supersedes } from './analysis.svelte';

const T0 = '2025-01-01T10:00:00Z';
const T1 = '2025-01-01T10:05:00Z';

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
    requested_at: T0,
    completed_at: '2025-01-01T10:00:02Z',
    ...p,
  };
}

function frame(a: Analysis, p: Partial<Frame> = {}): Frame {
  return { type: 'analysis_updated', seq: 7, conversation_id: a.conversation_id, data: structuredClone(a), ...p };
}

type Answer = Analysis | ApiError | Promise<Analysis>;

/** A fake server with an answer queue for GET (the last answer repeats) and POST, and manual timers. */
function fake(gets: Answer[], post?: Answer) {
  const calls: string[] = [];
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let next = 0;
  const answer = async (a: Answer | undefined) => {
    if (a instanceof ApiError) throw a;
    if (!a) throw new ApiError(404, 'not_found', 'Analysis not found.');
    return structuredClone(await a);
  };
  const store = new AnalysisStore({
    get: async <T,>(p: string) => {
      calls.push('GET ' + p);
      return (await answer(gets.length > 1 ? gets.shift() : gets[0])) as T;
    },
    post: async <T,>(p: string) => {
      calls.push('POST ' + p);
      return (await answer(post)) as T;
    },
    setTimer: (fn, ms) => {
      timers.set(++next, { fn, ms });
      return next;
    },
    clearTimer: (t) => {
      timers.delete(t as number);
    },
  });
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  /** Fires the oldest timer; false when none is armed. */
  const fire = async () => {
    const first = timers.entries().next();
    if (first.done) return false;
    const [id, t] = first.value;
    timers.delete(id);
    t.fn();
    await settle();
    return true;
  };
  const gets_ = () => calls.filter((c) => c.startsWith('GET')).length;
  return { store, calls, timers, fire, settle, gets: gets_ };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('supersedes', () => {
  it('lets a later request win, and for the same request the outcome over pending', () => {
    expect(supersedes(null, analysis())).toBe(true);
    expect(supersedes(analysis({ status: 'pending' }), analysis())).toBe(true);
    expect(supersedes(analysis({ status: 'pending' }), analysis({ status: 'failed' }))).toBe(true);
    expect(supersedes(analysis(), analysis({ status: 'pending' }))).toBe(false);
    expect(supersedes(analysis({ status: 'failed' }), analysis({ status: 'pending' }))).toBe(false);
    expect(supersedes(analysis(), analysis({ status: 'pending', requested_at: T1 }))).toBe(true);
    expect(supersedes(analysis({ status: 'pending', requested_at: T1 }), analysis())).toBe(false);
    expect(supersedes(analysis(), analysis({ summary: 'Again.' }))).toBe(true);
  });
});

describe('AnalysisStore', () => {
  it('shows a done analysis with one read and no timer', async () => {
    const f = fake([analysis()]);
    await f.store.open('c1');
    expect(f.store.state).toBe('ready');
    expect(f.store.analysis?.summary).toContain('#1234');
    expect(f.timers.size).toBe(0);
    expect(f.calls).toEqual(['GET /api/v1/conversations/c1/analysis']);
  });

  it('says there is none on 404; "Analyse now" does not poll, and the frame brings the result', async () => {
    const f = fake([new ApiError(404, 'not_found', 'Analysis not found.')], analysis({ status: 'pending', summary: '', completed_at: null }));
    await f.store.open('c1');
    expect(f.store.state).toBe('none');
    expect(await f.store.request()).toBe(true);
    expect(f.calls.at(-1)).toBe('POST /api/v1/conversations/c1/analysis');
    expect(f.store.pending).toBe(true);
    // Only the stall check is armed: no poll.
    expect([...f.timers.values()].map((t) => t.ms)).toEqual([STALL_MS]);
    expect(f.store.applyFrame(frame(analysis()))).toBe(true);
    expect(f.store.pending).toBe(false);
    expect(f.store.analysis?.sentiment.label).toBe('negative');
    expect(f.timers.size).toBe(0);
    expect(f.gets()).toBe(1);
  });

  it('ignores frames of other conversations, of other types, and malformed ones', async () => {
    const f = fake([analysis({ status: 'pending', summary: '', completed_at: null })]);
    await f.store.open('c1');
    expect(f.store.applyFrame(frame(analysis({ conversation_id: 'c2' })))).toBe(false);
    expect(f.store.applyFrame({ ...frame(analysis()), conversation_id: 'c2' })).toBe(false);
    expect(f.store.applyFrame({ ...frame(analysis()), type: 'message_updated' })).toBe(false);
    expect(f.store.applyFrame({ type: 'analysis_updated', seq: 3, conversation_id: 'c1', data: { status: 'done' } })).toBe(false);
    expect(f.store.applyFrame({ type: 'analysis_updated', seq: 3, conversation_id: 'c1' })).toBe(false);
    expect(f.store.pending).toBe(true);
  });

  it('keeps a frame that came while the first read was on its way', async () => {
    const d = deferred<Analysis>();
    const f = fake([d.promise]);
    const opened = f.store.open('c1');
    expect(f.store.state).toBe('loading');
    expect(f.store.applyFrame(frame(analysis()))).toBe(true);
    d.resolve(analysis({ status: 'pending', summary: '', completed_at: null }));
    await opened;
    expect(f.store.state).toBe('ready');
    expect(f.store.analysis?.status).toBe('done');
    expect(f.timers.size).toBe(0);
  });

  it('keeps a frame that came before the request was answered (a quick built-in analysis)', async () => {
    const d = deferred<Analysis>();
    const f = fake([new ApiError(404, 'not_found', 'Analysis not found.')], d.promise);
    await f.store.open('c1');
    const asked = f.store.request();
    expect(f.store.requesting).toBe(true);
    f.store.applyFrame(frame(analysis({ requested_at: T1 })));
    d.resolve(analysis({ status: 'pending', requested_at: T1, summary: '', completed_at: null }));
    expect(await asked).toBe(true);
    expect(f.store.requesting).toBe(false);
    expect(f.store.analysis?.status).toBe('done');
    expect(f.timers.size).toBe(0);
  });

  it('does not let a replayed frame of an earlier run hide a newer request', async () => {
    const f = fake([analysis({ status: 'pending', requested_at: T1 })]);
    await f.store.open('c1');
    expect(f.store.applyFrame(frame(analysis({ requested_at: T0, summary: 'Old.' })))).toBe(false);
    expect(f.store.pending).toBe(true);
    expect(f.store.applyFrame(frame(analysis({ requested_at: T1, summary: 'New.' })))).toBe(true);
    expect(f.store.analysis?.summary).toBe('New.');
  });

  it('shows a failed analysis and stops waiting for it', async () => {
    const f = fake([analysis({ status: 'pending', summary: '', completed_at: null })]);
    await f.store.open('c1');
    expect(f.timers.size).toBe(1);
    f.store.applyFrame(frame(analysis({ status: 'failed', summary: '', completed_at: null, attempts: 5, error: 'The analysis could not be completed after 5 attempts.' })));
    expect(f.store.failed).toBe(true);
    expect(f.store.pending).toBe(false);
    expect(f.store.stalled).toBe(false);
    expect(f.store.analysis?.error).toContain('5 attempts');
    expect(f.timers.size).toBe(0);
  });

  it('checks a pending analysis once after STALL_MS, then shows it stalled; Refresh watches again', async () => {
    const f = fake([analysis({ status: 'pending' })]);
    await f.store.open('c1');
    expect(await f.fire()).toBe(true);
    expect(f.gets()).toBe(2);
    expect(f.store.stalled).toBe(true);
    expect(f.timers.size).toBe(0); // one check, not a poll
    await f.store.refresh();
    expect(f.gets()).toBe(3);
    expect(f.store.stalled).toBe(false);
    expect(f.timers.size).toBe(1);
    f.store.applyFrame(frame(analysis()));
    expect(f.store.stalled).toBe(false);
    expect(f.timers.size).toBe(0);
  });

  it('shows the result when the stall check finds it done (a frame lost between nodes)', async () => {
    const f = fake([analysis({ status: 'pending' }), analysis()]);
    await f.store.open('c1');
    await f.fire();
    expect(f.store.stalled).toBe(false);
    expect(f.store.analysis?.status).toBe('done');
    expect(f.timers.size).toBe(0);
  });

  it('reads a pending analysis again when the socket reconnects, and nothing else', async () => {
    const f = fake([analysis({ status: 'pending' }), analysis()]);
    await f.store.open('c1');
    await f.store.resume();
    expect(f.gets()).toBe(2);
    expect(f.store.analysis?.status).toBe('done');
    await f.store.resume();
    expect(f.gets()).toBe(2);
  });

  it('shows an error state when the first read fails, and a request error apart', async () => {
    const f = fake([new ApiError(500, 'internal', 'Something broke.')], new ApiError(403, 'forbidden', 'Not allowed.'));
    await f.store.open('c1');
    expect(f.store.state).toBe('error');
    expect(f.store.error).toBe('Something broke.');
    expect(await f.store.request()).toBe(false);
    expect(f.store.requestError).toBe('Not allowed.');
    // A frame fixes the error state.
    expect(f.store.applyFrame(frame(analysis()))).toBe(true);
    expect(f.store.state).toBe('ready');
    expect(f.store.error).toBe('');
  });

  it('ignores answers and frames once the tab closed', async () => {
    const d = deferred<Analysis>();
    const f = fake([d.promise]);
    const opened = f.store.open('c1');
    f.store.close();
    d.resolve(analysis());
    await opened;
    expect(f.store.analysis).toBeNull();
    expect(f.store.applyFrame(frame(analysis()))).toBe(false);
    expect(f.store.analysis).toBeNull();
    expect(f.timers.size).toBe(0);
  });
});
