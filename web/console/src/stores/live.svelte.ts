// Wires the stores together for a signed-in session: loads the team and the list, starts
// the socket, routes each frame to the stores it concerns, and tears it all down on
// sign-out. This is the only place frames are dispatched.
import { api } from '../lib/api';
import { playChime } from '../lib/chime';
import type { Availability, Conversation, Frame } from '../lib/types';
import { analysis } from './analysis.svelte';
import { canned } from './canned.svelte';
import { clock } from './clock.svelte';
import { conversations } from './conversations.svelte';
import { NotificationCenter } from './notifications.svelte';
import { router } from './router.svelte';
import { session } from './session.svelte';
import { socket } from './socket.svelte';
import { team } from './team.svelte';
import { thread } from './thread.svelte';
import { toasts } from './toasts.svelte';
import { unread } from './unread.svelte';
import { channelWindow } from './window.svelte';

type NotificationCtor = NonNullable<ReturnType<ConstructorParameters<typeof NotificationCenter>[0]['notificationApi']>>;

export const notifications = new NotificationCenter({
  settings: () => session.user?.notification_settings ?? null,
  notificationApi: () => (typeof Notification === 'undefined' ? null : (Notification as unknown as NotificationCtor)),
  playChime,
  focusWindow: () => window.focus(),
  open: (id) => router.openConversation(id),
  toast: (text, detail, action) => toasts.info(text, { detail, action }),
  now: Date.now,
  meId: () => session.user?.id ?? '',
  get: (p) => api.get(p),
  post: (p) => api.post(p),
});

conversations.configure({
  meId: () => session.user?.id ?? '',
  userRef: (id) => team.ref(id),
});
thread.configure({ userRef: (id) => team.ref(id) });

function onPresence(f: Frame): void {
  const d = f.data as { user_id?: string; availability?: Availability } | undefined;
  if (!d?.user_id || !d.availability) return;
  team.setAvailability(d.user_id, d.availability);
  if (d.user_id === session.user?.id) session.setAvailability(d.availability);
}

function onFrame(f: Frame): void {
  if (f.type === 'presence') return onPresence(f);
  const summary = f.type === 'conversation_created' || f.type === 'conversation_updated';
  const id = summary ? ((f.data as { id?: string })?.id ?? '') : '';
  const before = summary ? conversations.find(id) : undefined;
  conversations.applyFrame(f);
  thread.applyFrame(f);
  channelWindow.applyFrame(f);
  notifications.applyFrame(f);
  analysis.applyFrame(f);
  const row = summary && !before ? conversations.find(id) : undefined;
  if (row && row.contact === undefined) {
    // A summary without the contact (a server before the summary named it): fetch the
    // full conversation to name the new row.
    api.get<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}`).then((c) => conversations.update(c), () => {});
  }
}

function onOpen(reconnected: boolean): void {
  // The account feed is not replayed: re-read the list. The open thread resumes from the
  // last seq it saw.
  if (reconnected || conversations.status === 'ready') void conversations.refresh();
  // Stored notifications that arrived while the socket was down.
  if (reconnected) void notifications.load();
  // An open console makes the agent online (unless busy or away): show what the server says.
  void session.refresh();
  if (thread.id && thread.status === 'ready') {
    socket.send({ type: 'subscribe', conversation_id: thread.id, since: thread.lastSeq });
  }
  // The replay above brings a missed analysis_updated; a pending analysis is read once
  // too, in case the thread was not ready to resubscribe.
  if (reconnected) void analysis.resume();
  // The visitor may have written (reopening a WhatsApp window) while the socket was down.
  void channelWindow.load();
}

let started = false;
const offs: (() => void)[] = [];

function online(): void {
  socket.retryNow();
}

export function startLive(): void {
  if (started) return;
  started = true;
  const me = session.user;
  if (me) unread.load(me.id);
  clock.start();
  void team.loadUsers();
  void team.loadLabels();
  void team.loadQueues();
  void conversations.load();
  void notifications.load();
  offs.push(socket.onFrame(onFrame), socket.onOpen(onOpen), socket.onUnauthorized(() => session.expire()));
  socket.start();
  addEventListener('online', online);
}

export function stopLive(): void {
  if (!started) return;
  started = false;
  socket.stop();
  for (const off of offs.splice(0)) off();
  removeEventListener('online', online);
  clock.stop();
  conversations.reset();
  thread.close();
  channelWindow.reset();
  team.reset();
  notifications.clear();
  canned.reset();
  analysis.close();
}

/** Starts and stops the live parts with the session. */
export function bindLiveToSession(): void {
  session.onChange((u) => (u ? startLive() : stopLive()));
}
