import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CannedResponse } from '../lib/types';
import { CannedStore, groupByCategory, matchesCanned } from './canned.svelte';

function c(p: Partial<CannedResponse> & { id: string; shortcut: string }): CannedResponse {
  return { title: p.shortcut, content: 'text of ' + p.shortcut, category: '', ...p };
}

const ALL = [
  c({ id: '1', shortcut: 'thanks', title: 'Thank you', content: 'Thanks {{first_name}}!', category: 'General' }),
  c({ id: '2', shortcut: 'refund', title: 'Refund policy', content: 'We refund within 14 days.', category: 'Billing' }),
  c({ id: '3', shortcut: 'hello', content: 'Hi, thanks for writing.', category: '' }),
];

function fake() {
  const calls: string[] = [];
  const signals: (AbortSignal | undefined)[] = [];
  const get = async <T,>(path: string, opts?: { signal?: AbortSignal }): Promise<T> => {
    calls.push(path);
    signals.push(opts?.signal);
    const u = new URL(path, 'http://x');
    if (u.pathname.endsWith('/render')) return { content: 'Thanks Maria!' } as T;
    const q = (u.searchParams.get('q') ?? '').toLowerCase();
    return { canned_responses: ALL.filter((x) => matchesCanned(x, q)) } as T;
  };
  return { get, calls, signals };
}

afterEach(() => vi.useRealTimers());

describe('CannedStore', () => {
  it('loads the whole list', async () => {
    const f = fake();
    const s = new CannedStore({ get: f.get });
    await s.load();
    expect(s.status).toBe('ready');
    expect(s.items.map((x) => x.id)).toEqual(['1', '2', '3']);
  });

  it('searches the server as the agent types, debounced, aborting the previous request', async () => {
    vi.useFakeTimers();
    const f = fake();
    const s = new CannedStore({ get: f.get, debounce: 100 });
    s.search('');
    expect(f.calls).toEqual(['/api/v1/canned-responses']); // the empty query goes at once
    await vi.runAllTimersAsync();
    expect(s.searchStatus).toBe('ready');
    s.search('t');
    s.search('th');
    s.search('tha');
    expect(f.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(f.calls).toEqual(['/api/v1/canned-responses', '/api/v1/canned-responses?q=tha']);
    expect(s.results.map((x) => x.shortcut)).toEqual(['thanks', 'hello']); // the text of /hello has "thanks"
    s.search('x');
    await vi.advanceTimersByTimeAsync(100);
    s.search('re');
    expect(f.signals[2]?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(s.results.map((x) => x.shortcut)).toEqual(['refund']);
  });

  it('reports a failed search', async () => {
    const s = new CannedStore({ get: async () => Promise.reject(new Error('down')), debounce: 0 });
    s.search('x');
    await new Promise((r) => setTimeout(r, 0));
    expect(s.searchStatus).toBe('error');
    expect(s.searchError).not.toBe('');
  });

  it('renders one for a conversation through the server', async () => {
    const f = fake();
    const s = new CannedStore({ get: f.get });
    expect(await s.render('1', 'conv 1')).toBe('Thanks Maria!');
    expect(f.calls[0]).toBe('/api/v1/canned-responses/1/render?conversation_id=conv+1');
  });
});

describe('canned helpers', () => {
  it('matches like the server: shortcut prefix, else any text', () => {
    expect(matchesCanned(ALL[0]!, '/tha')).toBe(true);
    expect(matchesCanned(ALL[2]!, 'thanks')).toBe(true); // in the content
    expect(matchesCanned(ALL[1]!, 'thanks')).toBe(false);
    expect(matchesCanned(ALL[1]!, '')).toBe(true);
  });

  it('groups by category, named ones first, then the uncategorised', () => {
    const g = groupByCategory(ALL);
    expect(g.map((x) => x.category)).toEqual(['Billing', 'General', '']);
    expect(groupByCategory(ALL, 'refund').map((x) => x.items.map((i) => i.id))).toEqual([['2']]);
  });
});
