import { describe, expect, it } from 'vitest';
import { UnreadTracker, type KeyValueStorage } from './unread.svelte';

function memory(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

const T0 = Date.parse('2025-01-01T10:00:00Z');

describe('UnreadTracker', () => {
  it('does not mark the history unread on a first visit', () => {
    const t = new UnreadTracker(memory(), () => T0);
    t.load('u1');
    expect(t.isUnread({ id: 'a', last_seq: 9, last_activity_at: '2024-12-31T10:00:00Z' })).toBe(false);
  });

  it('marks a never-opened conversation with activity since the first visit unread', () => {
    const t = new UnreadTracker(memory(), () => T0);
    t.load('u1');
    expect(t.isUnread({ id: 'a', last_seq: 1, last_activity_at: '2025-01-01T10:05:00Z' })).toBe(true);
  });

  it('marks an opened conversation read until its seq moves on', () => {
    const t = new UnreadTracker(memory(), () => T0);
    t.load('u1');
    const c = { id: 'a', last_seq: 5, last_activity_at: '2025-01-01T10:05:00Z' };
    t.markSeen('a', 5);
    expect(t.isUnread(c)).toBe(false);
    expect(t.isUnread({ ...c, last_seq: 6 })).toBe(true);
    t.markSeen('a', 3); // never goes back
    expect(t.seen.a).toBe(5);
  });

  it('remembers per user across reloads', () => {
    const store = memory();
    const t = new UnreadTracker(store, () => T0);
    t.load('u1');
    t.markSeen('a', 4);
    const later = new UnreadTracker(store, () => T0 + 864e5);
    later.load('u1');
    expect(later.since).toBe(T0);
    expect(later.seen.a).toBe(4);
    const other = new UnreadTracker(store, () => T0 + 864e5);
    other.load('u2');
    expect(other.seen.a).toBeUndefined();
  });

  it('survives a broken or missing storage', () => {
    const store = memory();
    store.data.set('baton.unread.u1', '{not json');
    const t = new UnreadTracker(store, () => T0);
    t.load('u1');
    t.markSeen('a', 1);
    expect(t.seen.a).toBe(1);
    const none = new UnreadTracker(null, () => T0);
    none.load('u1');
    none.markSeen('a', 1);
    expect(none.isUnread({ id: 'a', last_seq: 2, last_activity_at: '' })).toBe(true);
  });
});
