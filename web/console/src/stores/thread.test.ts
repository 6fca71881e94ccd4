import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessagePage } from '../lib/types';
import { conv, msg } from '../test/fixtures';
import { ThreadStore } from './thread.svelte';

function api(total: number) {
  const all = Array.from({ length: total }, (_, i) => msg({ id: 'm' + (i + 1), seq: i + 1 }));
  const calls: string[] = [];
  const get = async <T,>(path: string): Promise<T> => {
    calls.push(path);
    const u = new URL(path, 'http://x');
    if (!u.pathname.endsWith('/messages')) return conv({ id: 'c1', last_seq: total, status: 'human' }) as T;
    const before = Number(u.searchParams.get('before') ?? 0) || Infinity;
    const limit = Number(u.searchParams.get('limit') ?? 50);
    const older = all.filter((m) => m.seq < before).reverse(); // newest first, like the API
    const page = older.slice(0, limit);
    const last = page[page.length - 1];
    const res: MessagePage = { messages: page, next_before: older.length > limit && last ? last.seq : 0 };
    return structuredClone(res) as T;
  };
  return { get, calls };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ThreadStore', () => {
  it('opens a conversation with the newest page shown oldest first', async () => {
    const { get } = api(120);
    const t = new ThreadStore({ get });
    await t.open('c1');
    expect(t.status).toBe('ready');
    expect(t.messages).toHaveLength(50);
    expect(t.messages[0]!.seq).toBe(71);
    expect(t.messages[49]!.seq).toBe(120);
    expect(t.nextBefore).toBe(71);
    expect(t.lastSeq).toBe(120);
  });

  it('loads older pages until the start, without duplicates', async () => {
    const { get, calls } = api(120);
    const t = new ThreadStore({ get });
    await t.open('c1');
    await t.loadOlder();
    expect(new URL(calls.at(-1)!, 'http://x').searchParams.get('before')).toBe('71');
    expect(t.messages[0]!.seq).toBe(21);
    await t.loadOlder();
    expect(t.messages).toHaveLength(120);
    expect(t.messages.map((m) => m.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(t.hasOlder).toBe(false);
    const n = calls.length;
    await t.loadOlder();
    expect(calls.length).toBe(n);
  });

  it('appends a live message of the open conversation once', async () => {
    const t = new ThreadStore({ get: api(3).get });
    await t.open('c1');
    const m = msg({ id: 'new', seq: 4, kind: 'visitor', content: '<img src=x onerror="window.__xss=1">' });
    t.applyFrame({ type: 'message_created', seq: 4, conversation_id: 'c1', data: m });
    t.applyFrame({ type: 'message_created', seq: 4, conversation_id: 'c1', data: m });
    t.addMessage(m); // the POST answer of the same message
    expect(t.messages.filter((x) => x.id === 'new')).toHaveLength(1);
    expect(t.messages.at(-1)!.content).toBe('<img src=x onerror="window.__xss=1">');
    expect(t.lastSeq).toBe(4);
  });

  it('ignores frames of other conversations', async () => {
    const t = new ThreadStore({ get: api(3).get });
    await t.open('c1');
    expect(t.applyFrame({ type: 'message_created', conversation_id: 'c2', data: msg({ id: 'x', seq: 9, conversation_id: 'c2' }) })).toBe(false);
    expect(t.messages).toHaveLength(3);
  });

  it('keeps frames that arrive while the first page is loading', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const base = api(3);
    const get = async <T,>(p: string): Promise<T> => {
      await gate;
      return base.get<T>(p);
    };
    const t = new ThreadStore({ get });
    const opening = t.open('c1');
    t.applyFrame({ type: 'message_created', seq: 4, conversation_id: 'c1', data: msg({ id: 'live', seq: 4 }) });
    release();
    await opening;
    expect(t.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it('applies conversation_updated to the open conversation, ignoring older states', async () => {
    const t = new ThreadStore({ get: api(3).get, userRef: (id) => ({ id, name: 'Ana', email: 'ana@x' }) });
    await t.open('c1');
    t.applyFrame({ type: 'conversation_updated', conversation_id: 'c1', data: { id: 'c1', status: 'closed', last_seq: 5, assignee_id: 'u1' } });
    expect(t.conversation!.status).toBe('closed');
    expect(t.conversation!.assignee?.name).toBe('Ana');
    t.applyFrame({ type: 'conversation_updated', conversation_id: 'c1', data: { id: 'c1', status: 'human', last_seq: 4 } });
    expect(t.conversation!.status).toBe('closed');
  });

  it('shows the visitor typing and clears it after a while or on their message', async () => {
    vi.useFakeTimers();
    const t = new ThreadStore({ get: api(1).get });
    await t.open('c1');
    t.applyFrame({ type: 'typing', seq: 0, conversation_id: 'c1', data: { typing: true, who: 'visitor' } });
    expect(t.visitorTyping).toBe(true);
    vi.advanceTimersByTime(6001);
    expect(t.visitorTyping).toBe(false);
    t.applyFrame({ type: 'typing', seq: 0, conversation_id: 'c1', data: { typing: true, who: 'visitor' } });
    t.applyFrame({ type: 'message_created', seq: 2, conversation_id: 'c1', data: msg({ id: 'v', seq: 2, kind: 'visitor' }) });
    expect(t.visitorTyping).toBe(false);
  });

  it('moves a delivery status on with message_updated, never backwards', async () => {
    const t = new ThreadStore({ get: api(2).get });
    await t.open('c1');
    const reply = msg({ id: 'r', seq: 3, kind: 'agent', content: 'On its way', delivery_status: 'queued' });
    t.addMessage(reply);
    const before = t.messages;
    expect(t.applyFrame({ type: 'message_updated', seq: 4, conversation_id: 'c1', data: { ...reply, delivery_status: 'sent' } })).toBe(true);
    expect(t.messages).not.toBe(before); // a new array, so the list re-renders
    expect(t.messages.find((m) => m.id === 'r')!.delivery_status).toBe('sent');
    t.applyFrame({ type: 'message_updated', seq: 5, conversation_id: 'c1', data: { ...reply, delivery_status: 'read' } });
    // A late "delivered" does not undo "read"; a late "failed" does not either.
    t.applyFrame({ type: 'message_updated', seq: 6, conversation_id: 'c1', data: { ...reply, delivery_status: 'delivered' } });
    t.applyFrame({ type: 'message_updated', seq: 7, conversation_id: 'c1', data: { ...reply, delivery_status: 'failed', delivery_error: 'late' } });
    expect(t.messages.find((m) => m.id === 'r')!.delivery_status).toBe('read');
    expect(t.messages.filter((m) => m.id === 'r')).toHaveLength(1);
    expect(t.lastSeq).toBe(7);
  });

  it('shows a failed delivery with its reason', async () => {
    const t = new ThreadStore({ get: api(1).get });
    await t.open('c1');
    const reply = msg({ id: 'r', seq: 2, kind: 'agent', delivery_status: 'queued' });
    t.addMessage(reply);
    t.applyFrame({ type: 'message_updated', seq: 3, conversation_id: 'c1', data: { ...reply, delivery_status: 'failed', delivery_error: 'Telegram: Forbidden: bot was blocked by the user' } });
    const m = t.messages.find((x) => x.id === 'r')!;
    expect(m.delivery_status).toBe('failed');
    expect(m.delivery_error).toBe('Telegram: Forbidden: bot was blocked by the user');
  });

  it('ignores message_updated of other conversations and of messages it does not hold', async () => {
    const t = new ThreadStore({ get: api(2).get });
    await t.open('c1');
    const other = msg({ id: 'x', seq: 1, conversation_id: 'c2', kind: 'agent', delivery_status: 'sent' });
    expect(t.applyFrame({ type: 'message_updated', seq: 9, conversation_id: 'c2', data: other })).toBe(false);
    expect(t.applyFrame({ type: 'message_updated', seq: 3, conversation_id: 'c1', data: msg({ id: 'unknown', seq: 1, delivery_status: 'sent' }) })).toBe(false);
    expect(t.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('applies a message_updated that arrives while the first page is loading', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const queued = msg({ id: 'm2', seq: 2, kind: 'agent', delivery_status: 'queued' });
    const get = async <T,>(p: string): Promise<T> => {
      await gate;
      if (p.includes('/messages')) return { messages: [queued, msg({ id: 'm1', seq: 1 })], next_before: 0 } as T;
      return conv({ id: 'c1', last_seq: 2 }) as T;
    };
    const t = new ThreadStore({ get });
    const opening = t.open('c1');
    t.applyFrame({ type: 'message_updated', seq: 3, conversation_id: 'c1', data: { ...queued, delivery_status: 'delivered' } });
    release();
    await opening;
    expect(t.messages.find((m) => m.id === 'm2')!.delivery_status).toBe('delivered');
  });

  it('reports a missing conversation as not found', async () => {
    const get = vi.fn(async () => {
      throw Object.assign(new Error('gone'), { status: 404 });
    });
    const t = new ThreadStore({ get: get as never });
    await t.open('nope');
    expect(t.status).toBe('notfound');
  });
});
