import { describe, expect, it, vi } from 'vitest';
import type { NotificationSettings, ServerNotification } from '../lib/types';
import { NotificationCenter, type NotifyDeps } from './notifications.svelte';

function setup(opts: { settings?: NotificationSettings; permission?: string; stored?: ServerNotification[]; unread?: number } = {}) {
  const created: { title: string; opts: NotificationOptions; n: { onclick: ((e: Event) => void) | null; close: () => void } }[] = [];
  class FakeNotification {
    static permission = opts.permission ?? 'granted';
    static requestPermission = vi.fn(async () => 'granted');
    onclick: ((e: Event) => void) | null = null;
    close = vi.fn();
    constructor(title: string, o: NotificationOptions) {
      created.push({ title, opts: o, n: this });
    }
  }
  const io = { failGet: false };
  const deps = {
    settings: () => opts.settings ?? { desktop: true, sound: true },
    notificationApi: () => FakeNotification,
    playChime: vi.fn(),
    focusWindow: vi.fn(),
    open: vi.fn(),
    toast: vi.fn(),
    now: () => 1000,
    meId: () => 'me',
    get: async <T,>(path: string): Promise<T> => {
      if (io.failGet) {
        io.failGet = false;
        throw new Error('down');
      }
      if (path !== '/api/v1/notifications') throw new Error('unexpected ' + path);
      const list = opts.stored ?? [];
      return { notifications: list, unread: opts.unread ?? list.filter((n) => !n.read_at).length } as T;
    },
    post: vi.fn(async () => undefined),
  } satisfies NotifyDeps;
  const center = new NotificationCenter(deps);
  return { center, deps, created, FakeNotification, io };
}

const frame = { type: 'handoff', seq: 0, data: { conversation_id: 'c42', chatbot_name: 'Support Bot', visitor_name: 'Maria', reason: 'asked for a human' } };

describe('NotificationCenter', () => {
  it('shows the A9 desktop notification, chimes, toasts and lists the handoff', () => {
    const { center, deps, created } = setup();
    center.applyFrame(frame);
    expect(created).toHaveLength(1);
    expect(created[0]!.title).toBe('New handoff — Support Bot');
    expect(created[0]!.opts).toEqual({ body: 'Maria: asked for a human', tag: 'handoff-c42', requireInteraction: true });
    expect(deps.playChime).toHaveBeenCalledOnce();
    expect(deps.toast).toHaveBeenCalledWith('New handoff — Support Bot', 'Maria: asked for a human', expect.objectContaining({ label: 'Open' }));
    expect(center.items).toHaveLength(1);
    expect(center.unreadCount).toBe(1);
  });

  it('clicking the notification focuses the window and opens the conversation', () => {
    const { center, deps, created } = setup();
    center.applyFrame(frame);
    created[0]!.n.onclick?.({} as Event);
    expect(deps.focusWindow).toHaveBeenCalled();
    expect(deps.open).toHaveBeenCalledWith('c42');
    expect(center.unreadCount).toBe(0);
  });

  it('the toast\'s Open button opens the conversation', () => {
    const { center, deps } = setup();
    center.applyFrame(frame);
    const action = deps.toast.mock.calls[0]![2] as { run: () => void };
    action.run();
    expect(deps.open).toHaveBeenCalledWith('c42');
  });

  it('honours the desktop and sound settings', () => {
    const { center, deps, created } = setup({ settings: { desktop: false, sound: false } });
    center.applyFrame(frame);
    expect(created).toHaveLength(0);
    expect(deps.playChime).not.toHaveBeenCalled();
    expect(deps.toast).toHaveBeenCalledOnce(); // in-app always
  });

  it('shows no desktop notification without permission', () => {
    const { center, created } = setup({ permission: 'default' });
    center.applyFrame(frame);
    expect(created).toHaveLength(0);
    expect(center.items).toHaveLength(1);
  });

  it('does not alert twice for the same event', () => {
    const { center, created } = setup();
    center.applyFrame({ ...frame, seq: 5 });
    center.applyFrame({ ...frame, seq: 5 });
    expect(created).toHaveLength(1);
    expect(center.items).toHaveLength(1);
  });

  it('asks for permission and remembers the answer', async () => {
    const { center } = setup({ permission: 'default' });
    expect(center.permission).toBe('default');
    await center.requestPermission();
    expect(center.permission).toBe('granted');
  });

  it('alerts on an assignment to me, not on my own', () => {
    const { center } = setup();
    center.applyFrame({ type: 'assigned', seq: 3, data: { conversation_id: 'c1', assignee_id: 'me', by: 'other' } });
    center.applyFrame({ type: 'assigned', seq: 4, data: { conversation_id: 'c1', assignee_id: 'me', by: 'me' } });
    center.applyFrame({ type: 'assigned', seq: 5, data: { conversation_id: 'c2', assignee_id: 'someone', by: 'other' } });
    expect(center.items.map((i) => i.conversationId)).toEqual(['c1']);
    center.markAllRead();
    expect(center.unreadCount).toBe(0);
  });

  it('does not alert the agent about their own Join', () => {
    const { center, created, deps } = setup();
    center.applyFrame({ ...frame, data: { ...frame.data, by: 'me' } });
    expect(created).toHaveLength(0);
    expect(deps.toast).not.toHaveBeenCalled();
    expect(center.items).toHaveLength(0);
    center.applyFrame({ ...frame, data: { ...frame.data, by: 'teammate' } });
    expect(created).toHaveLength(1);
  });

  it('loads the stored notifications with their unread count', async () => {
    const stored: ServerNotification[] = [
      { id: 'n2', kind: 'mention', conversation_id: 'c2', message_id: 'm1', actor_name: 'Ana', body: '@Bob look', created_at: '2025-01-01T10:02:00Z', read_at: null },
      { id: 'n1', kind: 'assigned', conversation_id: 'c1', actor_name: 'Ana', body: 'Ana transferred a conversation to you.', created_at: '2025-01-01T10:01:00Z', read_at: '2025-01-01T10:05:00Z' },
    ];
    const { center, deps } = setup({ stored, unread: 7 });
    await center.load();
    expect(center.status).toBe('ready');
    expect(center.items.map((i) => [i.id, i.title, i.read])).toEqual([
      ['n2', 'Ana mentioned you', false],
      ['n1', 'Conversation assigned to you', true],
    ]);
    expect(center.unreadCount).toBe(7); // includes unread ones beyond the first page
    expect(deps.toast).not.toHaveBeenCalled(); // old news is not toasted
    center.openItem('c2');
    expect(deps.post).toHaveBeenCalledWith('/api/v1/notifications/n2/read');
    expect(deps.open).toHaveBeenCalledWith('c2');
    expect(center.unreadCount).toBe(6);
    center.markAllRead();
    expect(deps.post).toHaveBeenLastCalledWith('/api/v1/notifications/all/read');
    expect(center.unreadCount).toBe(0);
  });

  it('a load error is reported and can be retried', async () => {
    const { center, io } = setup();
    io.failGet = true;
    await center.load();
    expect(center.status).toBe('error');
    expect(center.error).not.toBe('');
    await center.load();
    expect(center.status).toBe('ready');
  });

  it('a live mention is listed, toasted and shown on the desktop, once', () => {
    const { center, deps, created } = setup();
    const n: ServerNotification = { id: 'n9', kind: 'mention', conversation_id: 'c7', message_id: 'm9', actor_name: 'Ana', body: 'Check the courier @Bob please', created_at: '2025-01-01T10:00:00Z', read_at: null };
    center.applyFrame({ type: 'mention', seq: 0, conversation_id: 'c7', data: n });
    center.applyFrame({ type: 'mention', seq: 0, conversation_id: 'c7', data: n });
    expect(center.items).toHaveLength(1);
    expect(center.unreadCount).toBe(1);
    expect(deps.toast).toHaveBeenCalledOnce();
    expect(deps.toast).toHaveBeenCalledWith('Ana mentioned you', 'Check the courier @Bob please', expect.objectContaining({ label: 'Open' }));
    expect(created).toHaveLength(1);
    expect(created[0]!.title).toBe('Ana mentioned you');
    expect(created[0]!.opts.tag).toBe('mention-n9');
    created[0]!.n.onclick?.({} as Event);
    expect(deps.open).toHaveBeenCalledWith('c7');
    expect(deps.post).toHaveBeenCalledWith('/api/v1/notifications/n9/read');
  });

  it('a mention shows no desktop notification when the setting is off', () => {
    const { center, created, deps } = setup({ settings: { desktop: false, sound: false } });
    center.applyFrame({ type: 'mention', seq: 0, data: { id: 'n1', kind: 'mention', conversation_id: 'c1', actor_name: '', body: 'hi', created_at: '2025-01-01T10:00:00Z', read_at: null } });
    expect(created).toHaveLength(0);
    expect(deps.toast).toHaveBeenCalledWith('A teammate mentioned you', 'hi', expect.anything());
  });

  it('a transfer to me alerts once although both the assignment and its notification arrive', () => {
    const { center, deps } = setup();
    center.applyFrame({ type: 'assigned', seq: 8, data: { conversation_id: 'c3', assignee_id: 'me', by: 'ana' } });
    center.applyFrame({
      type: 'notification',
      seq: 0,
      data: { id: 'n5', kind: 'assigned', conversation_id: 'c3', actor_name: 'Ana', body: 'Ana transferred a conversation to you. Note: VIP', created_at: new Date(1000).toISOString(), read_at: null },
    });
    expect(deps.toast).toHaveBeenCalledOnce();
    expect(center.items).toHaveLength(1);
    expect(center.items[0]!.id).toBe('n5');
    expect(center.unreadCount).toBe(1);
    // The other order.
    const b = setup();
    b.center.applyFrame({
      type: 'notification',
      seq: 0,
      data: { id: 'n6', kind: 'assigned', conversation_id: 'c4', actor_name: 'Ana', body: 'x', created_at: new Date(1000).toISOString(), read_at: null },
    });
    b.center.applyFrame({ type: 'assigned', seq: 9, data: { conversation_id: 'c4', assignee_id: 'me', by: 'ana' } });
    expect(b.deps.toast).toHaveBeenCalledOnce();
    expect(b.center.items).toHaveLength(1);
  });
});
