import { describe, expect, it, vi } from 'vitest';
import type { Conversation, ConversationPage } from '../lib/types';
import { at, conv } from '../test/fixtures';
import { ConversationList } from './conversations.svelte';

function fakeApi(pages: Record<string, ConversationPage>) {
  const calls: string[] = [];
  const get = async <T,>(path: string): Promise<T> => {
    calls.push(path);
    const u = new URL(path, 'http://x');
    const cursor = u.searchParams.get('cursor') ?? '';
    const page = pages[cursor];
    if (!page) throw new Error('no page ' + cursor);
    return structuredClone(page) as T;
  };
  return { get, calls };
}

const NOW = Date.parse('2025-01-01T12:00:00Z');

function list(pages: Record<string, ConversationPage>) {
  const api = fakeApi(pages);
  const l = new ConversationList({ get: api.get, meId: () => 'me', now: () => NOW, userRef: (id) => ({ id, name: 'User ' + id, email: id + '@x' }) });
  return { l, api };
}

describe('ConversationList', () => {
  it('loads the first page with the filters as query parameters', async () => {
    const { l, api } = list({ '': { conversations: [conv({ id: 'a' })], next_cursor: '' } });
    l.filters.status = 'waiting';
    l.filters.q = ' refund ';
    l.filters.range = '7d';
    await l.load();
    expect(l.status).toBe('ready');
    expect(l.rows.map((r) => r.id)).toEqual(['a']);
    const u = new URL(api.calls[0]!, 'http://x');
    expect(u.pathname).toBe('/api/v1/conversations');
    expect(u.searchParams.get('status')).toBe('waiting');
    expect(u.searchParams.get('q')).toBe('refund');
    expect(u.searchParams.get('range')).toBe('7d');
    expect(u.searchParams.get('limit')).toBe('50');
  });

  it('pages with the cursor and never duplicates a row', async () => {
    const { l, api } = list({
      '': { conversations: [conv({ id: 'a', last_activity_at: at(5) }), conv({ id: 'b', last_activity_at: at(4) })], next_cursor: 'p2' },
      p2: { conversations: [conv({ id: 'b', last_activity_at: at(4) }), conv({ id: 'c', last_activity_at: at(3) })], next_cursor: '' },
    });
    await l.load();
    expect(l.hasMore).toBe(true);
    await l.loadMore();
    expect(l.rows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(l.hasMore).toBe(false);
    await l.loadMore(); // nothing more to load
    expect(api.calls).toHaveLength(2);
    expect(new URL(api.calls[1]!, 'http://x').searchParams.get('cursor')).toBe('p2');
  });

  it('shows an error state and recovers on retry', async () => {
    const pages: Record<string, ConversationPage> = {};
    const { l } = list(pages);
    await l.load();
    expect(l.status).toBe('error');
    pages[''] = { conversations: [], next_cursor: '' };
    await l.load();
    expect(l.status).toBe('ready');
  });

  it('ignores the answer of a load overtaken by a newer one', async () => {
    let release: (v: ConversationPage) => void = () => {};
    const slow = new Promise<ConversationPage>((r) => (release = r));
    const get = vi
      .fn()
      .mockImplementationOnce(() => slow)
      .mockImplementationOnce(async () => ({ conversations: [conv({ id: 'new' })], next_cursor: '' }));
    const l = new ConversationList({ get: get as never });
    const first = l.load();
    await l.load();
    release({ conversations: [conv({ id: 'old' })], next_cursor: '' });
    await first;
    expect(l.rows.map((r) => r.id)).toEqual(['new']);
  });

  describe('socket frames', () => {
    async function loaded() {
      const t = list({
        '': {
          conversations: [conv({ id: 'a', last_activity_at: at(5), last_seq: 3 }), conv({ id: 'b', last_activity_at: at(4), last_seq: 7 })],
          next_cursor: '',
        },
      });
      await t.l.load();
      return t.l;
    }

    it('conversation_updated updates the row and moves it to the top on new activity', async () => {
      const l = await loaded();
      l.applyFrame({ type: 'conversation_updated', data: { id: 'b', status: 'waiting', last_activity_at: at(9), last_seq: 8, assignee_id: 'u1' } });
      expect(l.rows.map((r) => r.id)).toEqual(['b', 'a']);
      expect(l.rows[0]!.status).toBe('waiting');
      expect(l.rows[0]!.assignee?.name).toBe('User u1');
    });

    it('conversation_created inserts a new row at the top when it matches the filters', async () => {
      const l = await loaded();
      const summary: Partial<Conversation> = { id: 'n', number: 9, status: 'bot', pending: false, priority: '', channel: 'web', last_message: 'hi', last_activity_at: at(10), last_seq: 1, turns: 1 };
      l.applyFrame({ type: 'conversation_created', data: summary });
      expect(l.rows.map((r) => r.id)).toEqual(['n', 'a', 'b']);
      // Delivered twice (e.g. after a reconnect): still one row.
      l.applyFrame({ type: 'conversation_created', data: summary });
      expect(l.rows).toHaveLength(3);
    });

    it('conversation_created does not insert a row the filters exclude', async () => {
      const l = await loaded();
      l.filters.status = 'human';
      l.applyFrame({ type: 'conversation_created', data: { id: 'n', number: 9, status: 'bot', channel: 'web', last_activity_at: at(10), last_seq: 1, turns: 1 } });
      expect(l.rows.find((r) => r.id === 'n')).toBeUndefined();
    });

    it('message_created updates the preview and the seq, and moves the row up', async () => {
      const l = await loaded();
      l.applyFrame({ type: 'message_created', seq: 8, conversation_id: 'b', data: { id: 'm', conversation_id: 'b', seq: 8, kind: 'visitor', content: 'Where is my order?', created_at: at(11), sender_name: 'V', attachments: [] } });
      expect(l.rows[0]!.id).toBe('b');
      expect(l.rows[0]!.last_message).toBe('Where is my order?');
      expect(l.rows[0]!.last_seq).toBe(8);
    });

    it('a note bumps the seq without replacing the visitor-facing preview', async () => {
      const l = await loaded();
      l.applyFrame({ type: 'message_created', data: { id: 'm', conversation_id: 'a', seq: 4, kind: 'note', content: 'secret', created_at: at(12), sender_name: 'Ana', attachments: [] } });
      const a = l.find('a')!;
      expect(a.last_message).toBe('hello');
      expect(a.last_seq).toBe(4);
    });

    it('assigned names the new assignee on the row (a routing offer after the summary)', async () => {
      const { l } = list({ '': { conversations: [conv({ id: 'a', status: 'bot', last_seq: 3 })], next_cursor: '' } });
      await l.load();
      // Handoff: the summary goes out before the offer, then the offer's system message and assigned.
      l.applyFrame({ type: 'conversation_updated', seq: 5, data: { id: 'a', status: 'waiting', assignee_id: '', last_activity_at: at(1), last_seq: 4 } });
      l.applyFrame({ type: 'message_created', seq: 6, conversation_id: 'a', data: { id: 'm', conversation_id: 'a', seq: 6, kind: 'system', content: 'Offered to Sam.', created_at: at(1), sender_name: 'Baton', attachments: [] } });
      l.applyFrame({ type: 'assigned', seq: 7, conversation_id: 'a', data: { conversation_id: 'a', assignee_id: 'sam', by: '' } });
      expect(l.find('a')!.assignee).toEqual({ id: 'sam', name: 'User sam', email: 'sam@x' });
      expect(l.find('a')!.assignee_id).toBe('sam');
      expect(l.find('a')!.status).toBe('waiting');
      // The summary that follows the offer agrees; an unassignment clears the name.
      l.applyFrame({ type: 'conversation_updated', seq: 8, data: { id: 'a', status: 'waiting', assignee_id: 'sam', last_activity_at: at(1), last_seq: 7 } });
      expect(l.find('a')!.assignee?.id).toBe('sam');
      l.applyFrame({ type: 'assigned', seq: 9, conversation_id: 'a', data: { conversation_id: 'a', assignee_id: '', by: 'u1' } });
      expect(l.find('a')!.assignee).toBeNull();
      expect(l.find('a')!.assignee_id).toBe('');
    });

    it('assigned keeps the id when the team is not loaded yet (the row names it later)', async () => {
      const l = new ConversationList({ get: fakeApi({ '': { conversations: [conv({ id: 'a' })], next_cursor: '' } }).get, meId: () => 'me', now: () => NOW, userRef: () => null });
      await l.load();
      l.applyFrame({ type: 'assigned', conversation_id: 'a', data: { conversation_id: 'a', assignee_id: 'sam', by: '' } });
      expect(l.find('a')!.assignee_id).toBe('sam');
      expect(l.applyFrame({ type: 'assigned', data: { conversation_id: 'zz', assignee_id: 'sam', by: '' } })).toBe(false);
    });

    it('a summary carries every field a row shows: contact, priority, tags, labels, pending', async () => {
      const { l } = list({ '': { conversations: [conv({ id: 'a', contact: { id: 'k', session_id: 's', name: '', email: '', phone: '+1', attributes: { plan: 'pro' } } })], next_cursor: '' } });
      await l.load();
      l.applyFrame({
        type: 'conversation_updated',
        data: { id: 'a', status: 'human', pending: true, priority: 'urgent', assignee_id: 'u2', tags: ['refund'], labels: ['VIP'], contact: { id: 'k', name: 'Bob Stone', email: 'bob@x' }, last_activity_at: at(2), last_seq: 9 },
      });
      const r = l.find('a')!;
      expect([r.status, r.pending, r.priority, r.tags, r.labels, r.assignee?.name]).toEqual(['human', true, 'urgent', ['refund'], ['VIP'], 'User u2']);
      expect(r.contact).toEqual({ id: 'k', session_id: 's', name: 'Bob Stone', email: 'bob@x', phone: '+1', attributes: { plan: 'pro' } });
    });

    it('a row inserted from a summary is named after the contact, not "Visitor #N"', async () => {
      const { l } = list({ '': { conversations: [], next_cursor: '' } });
      await l.load();
      // The list hides bot conversations: the row first appears with the handoff's summary.
      l.filters.status = 'waiting';
      l.applyFrame({ type: 'conversation_created', data: { id: 'n', number: 7, status: 'bot', channel: 'web', last_activity_at: at(10), last_seq: 1, turns: 0, contact: { id: 'k', name: '', email: '' } } });
      expect(l.find('n')).toBeUndefined();
      l.applyFrame({ type: 'conversation_updated', data: { id: 'n', number: 7, status: 'waiting', channel: 'web', last_activity_at: at(11), last_seq: 5, turns: 1, contact: { id: 'k', name: 'Bob Stone', email: '' }, tags: [], labels: [] } });
      expect(l.find('n')!.contact?.name).toBe('Bob Stone');
    });

    it('refresh after a reconnect takes what changed while the socket was down', async () => {
      const pages: Record<string, ConversationPage> = { '': { conversations: [conv({ id: 'a', status: 'waiting', last_seq: 3 })], next_cursor: '' } };
      const { l } = list(pages);
      await l.load();
      pages[''] = { conversations: [conv({ id: 'a', status: 'human', last_seq: 6, priority: 'high', assignee: { id: 'sam', name: 'Sam', email: 's@x' }, last_message: 'missed' })], next_cursor: '' };
      await l.refresh();
      const r = l.find('a')!;
      expect([r.status, r.priority, r.assignee?.name, r.assignee_id, r.last_message, r.last_seq]).toEqual(['human', 'high', 'Sam', 'sam', 'missed', 6]);
    });

    it('refresh merges the first page without dropping deeper rows', async () => {
      const pages: Record<string, ConversationPage> = {
        '': { conversations: [conv({ id: 'a', last_activity_at: at(5) })], next_cursor: 'p2' },
        p2: { conversations: [conv({ id: 'z', last_activity_at: at(1) })], next_cursor: '' },
      };
      const { l } = list(pages);
      await l.load();
      await l.loadMore();
      pages[''] = { conversations: [conv({ id: 'new', last_activity_at: at(20) }), conv({ id: 'a', last_activity_at: at(5) })], next_cursor: 'p2' };
      await l.refresh();
      expect(l.rows.map((r) => r.id)).toEqual(['new', 'a', 'z']);
    });
  });

  it('merges 1,000 frames into 10,000 rows (timing logged)', async () => {
    const rows = Array.from({ length: 10000 }, (_, i) => conv({ id: 'c' + i, last_activity_at: new Date(Date.UTC(2025, 0, 1) - i * 1000).toISOString() }));
    const { l } = list({ '': { conversations: rows, next_cursor: '' } });
    await l.load();
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      l.applyFrame({ type: 'conversation_updated', data: { id: 'c' + ((i * 7919) % 10000), last_activity_at: new Date(Date.UTC(2025, 0, 2) + i * 1000).toISOString(), last_seq: 100 + i } });
    }
    const ms = performance.now() - t0;
    expect(l.rows).toHaveLength(10000);
    expect(l.rows[0]!.id).toBe('c' + ((999 * 7919) % 10000));
    console.info(`1,000 live updates merged into 10,000 rows in ${ms.toFixed(0)} ms`);
  });
});
