import { describe, expect, it, vi } from 'vitest';
import type { NotificationSettings } from '../lib/types';
import { NotificationCenter, type NotifyDeps } from './notifications.svelte';

function setup(opts: { settings?: NotificationSettings; permission?: string } = {}) {
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
  const deps = {
    settings: () => opts.settings ?? { desktop: true, sound: true },
    notificationApi: () => FakeNotification,
    playChime: vi.fn(),
    focusWindow: vi.fn(),
    open: vi.fn(),
    toast: vi.fn(),
    now: () => 1000,
    meId: () => 'me',
  } satisfies NotifyDeps;
  const center = new NotificationCenter(deps);
  return { center, deps, created, FakeNotification };
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
});
