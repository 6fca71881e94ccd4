import { describe, expect, it } from 'vitest';
import { conv } from '../test/fixtures';
import { activeFilterCount, emptyFilters, filterParams, matchesFilters, STATUS_FILTERS } from './filters';

describe('filterParams', () => {
  it('sends nothing for the defaults', () => expect(filterParams(emptyFilters())).toEqual({}));
  it('maps every filter to the API parameters', () => {
    const f = { ...emptyFilters(), q: ' #42 ', range: '24h' as const, status: 'pending' as const, channel: 'whatsapp', assignee: 'none', priority: 'urgent', tag: ' vip ', label: 'Escalated', queue: 'q1', activity: 'high' as const };
    expect(filterParams(f)).toEqual({ q: '#42', range: '24h', status: 'pending', channel: 'whatsapp', assignee: 'none', priority: 'urgent', tag: 'vip', label: 'Escalated', queue: 'q1', activity: 'high' });
    expect(activeFilterCount(f)).toBe(9);
  });
  it('sends a custom range as from/to covering whole local days', () => {
    const p = filterParams({ ...emptyFilters(), range: 'custom', from: '2025-03-01', to: '2025-03-02' });
    expect(p.range).toBeUndefined();
    expect(new Date(p.from!).getDate()).toBe(1);
    expect(new Date(p.from!).getHours()).toBe(0);
    expect(new Date(p.to!).getDate()).toBe(2);
    expect(new Date(p.to!).getHours()).toBe(23);
  });
});

describe('matchesFilters', () => {
  const now = Date.parse('2025-01-10T12:00:00Z');
  const c = conv({ id: 'a', status: 'human', pending: true, channel: 'web', priority: 'high', turns: 7, last_activity_at: '2025-01-10T11:00:00Z', assignee: { id: 'me', name: 'Me', email: 'me@x' } });
  it('accepts with no filters', () => expect(matchesFilters(c, emptyFilters(), 'me', now)).toBe(true));
  it('checks status, pending, channel, assignee, priority, activity and range', () => {
    const f = emptyFilters();
    expect(matchesFilters(c, { ...f, status: 'pending' }, 'me', now)).toBe(true);
    expect(matchesFilters(c, { ...f, status: 'bot' }, 'me', now)).toBe(false);
    expect(matchesFilters(c, { ...f, channel: 'email' }, 'me', now)).toBe(false);
    expect(matchesFilters(c, { ...f, assignee: 'me' }, 'me', now)).toBe(true);
    expect(matchesFilters(c, { ...f, assignee: 'none' }, 'me', now)).toBe(false);
    expect(matchesFilters(c, { ...f, priority: 'high' }, 'me', now)).toBe(true);
    expect(matchesFilters(c, { ...f, activity: 'medium' }, 'me', now)).toBe(true);
    expect(matchesFilters(c, { ...f, activity: 'low' }, 'me', now)).toBe(false);
    expect(matchesFilters(c, { ...f, range: '24h' }, 'me', now)).toBe(true);
    expect(matchesFilters(c, { ...f, queue: 'q1' }, 'me', now)).toBe(false);
    expect(matchesFilters({ ...c, queue_id: 'q1' }, { ...f, queue: 'q1' }, 'me', now)).toBe(true);
    expect(matchesFilters({ ...c, last_activity_at: '2025-01-01T00:00:00Z' }, { ...f, range: '7d' }, 'me', now)).toBe(false);
  });
  it('refuses when a search is active (only the server can tell)', () => expect(matchesFilters(c, { ...emptyFilters(), q: 'x' }, 'me', now)).toBe(false));
});

describe('STATUS_FILTERS', () => {
  it("starts with the Conversations page's four words (reference 001), then the rest", () => {
    expect(STATUS_FILTERS.slice(0, 4).map((s) => s.label)).toEqual(['All', 'AI-Handling', 'Escalated', 'Agent Active']);
    expect(STATUS_FILTERS.map((s) => s.label).slice(4)).toEqual(['Pending', 'Awaiting Offline Info', 'Resolved', 'Closed', 'Abandoned']);
  });
  it('keeps the query values the API takes: All sends none, each other option its status', () => {
    expect(STATUS_FILTERS.map((s) => s.value)).toEqual(['', 'bot', 'waiting', 'human', 'pending', 'offline', 'resolved', 'closed', 'abandoned']);
    for (const s of STATUS_FILTERS) expect(filterParams({ ...emptyFilters(), status: s.value }).status).toBe(s.value || undefined);
  });
  it('selects what each word says: Escalated the waiting conversations, Agent Active the human ones', () => {
    const now = Date.parse('2025-01-10T12:00:00Z');
    const f = emptyFilters();
    expect(matchesFilters(conv({ id: 'w', status: 'waiting' }), { ...f, status: 'waiting' }, 'me', now)).toBe(true);
    expect(matchesFilters(conv({ id: 'b', status: 'bot' }), { ...f, status: 'waiting' }, 'me', now)).toBe(false);
    expect(matchesFilters(conv({ id: 'h', status: 'human' }), { ...f, status: 'human' }, 'me', now)).toBe(true);
  });
});
