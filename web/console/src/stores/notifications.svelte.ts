// Handoff alerts (A9, feature 9): a desktop notification and a chime when the agent's
// settings allow, and always an in-app toast and an entry in the notification centre.
import type { Frame, HandoffData, NotificationSettings } from '../lib/types';

export interface NotificationItem {
  id: number;
  key: string;
  conversationId: string;
  title: string;
  body: string;
  at: number;
  read: boolean;
}

export interface DesktopNotificationLike {
  onclick: ((ev: Event) => void) | null;
  close(): void;
}

export interface NotifyDeps {
  /** The current user's settings (from /api/v1/me). */
  settings: () => NotificationSettings | null;
  /** The browser's Notification API, if any. */
  notificationApi: () => {
    permission: string;
    requestPermission?: () => Promise<string>;
    new (title: string, opts: NotificationOptions): DesktopNotificationLike;
  } | null;
  playChime: () => void;
  focusWindow: () => void;
  open: (conversationId: string) => void;
  toast: (text: string, detail: string, action: { label: string; run: () => void }) => void;
  now: () => number;
  /** The id of the signed-in user (assignment alerts are for them only). */
  meId: () => string;
}

export function handoffTitle(chatbotName: string): string {
  return 'New handoff — ' + chatbotName;
}

export function handoffBody(visitorName: string, reason: string): string {
  return visitorName + ': ' + reason;
}

export class NotificationCenter {
  items = $state<NotificationItem[]>([]);
  permission = $state<string>('default');

  private deps: NotifyDeps;
  private next = 1;
  private seen = new Set<string>();

  constructor(deps: NotifyDeps) {
    this.deps = deps;
    this.permission = deps.notificationApi()?.permission ?? 'unsupported';
  }

  get unreadCount(): number {
    return this.items.filter((i) => !i.read).length;
  }

  /** Asks the browser for permission to show desktop notifications (needs a user gesture). */
  async requestPermission(): Promise<string> {
    const N = this.deps.notificationApi();
    if (!N || !N.requestPermission) {
      this.permission = 'unsupported';
      return this.permission;
    }
    try {
      this.permission = await N.requestPermission();
    } catch {
      this.permission = N.permission;
    }
    return this.permission;
  }

  applyFrame(f: Frame): boolean {
    switch (f.type) {
      case 'handoff': {
        const d = f.data as HandoffData | undefined;
        if (!d || typeof d.conversation_id !== 'string') return false;
        this.handoff(d, f.seq ?? 0);
        return true;
      }
      case 'assigned': {
        const d = f.data as { conversation_id?: string; assignee_id?: string; by?: string } | undefined;
        if (!d?.conversation_id || !d.assignee_id || d.assignee_id !== this.deps.meId() || d.by === this.deps.meId()) return false;
        this.add(`assigned:${d.conversation_id}:${f.seq ?? this.deps.now()}`, d.conversation_id, 'Conversation assigned to you', 'A teammate assigned you a conversation.');
        return true;
      }
      case 'mention': {
        const d = f.data as { conversation_id?: string; by?: string; content?: string } | undefined;
        if (!d?.conversation_id) return false;
        this.add(`mention:${d.conversation_id}:${f.seq ?? this.deps.now()}`, d.conversation_id, 'You were mentioned', d.content ?? 'A teammate mentioned you in a note.');
        return true;
      }
    }
    return false;
  }

  private handoff(d: HandoffData, seq: number): void {
    const title = handoffTitle(d.chatbot_name);
    const body = handoffBody(d.visitor_name, d.reason);
    const key = seq > 0 ? `handoff:${d.conversation_id}:${seq}` : `handoff:${d.conversation_id}:${d.reason}:${Math.floor(this.deps.now() / 5000)}`;
    if (!this.add(key, d.conversation_id, title, body)) return;
    const settings = this.deps.settings();
    const N = this.deps.notificationApi();
    if (settings?.desktop && N && N.permission === 'granted') {
      try {
        const n = new N(title, { body, tag: 'handoff-' + d.conversation_id, requireInteraction: true });
        n.onclick = () => {
          this.deps.focusWindow();
          this.openItem(d.conversation_id);
          n.close();
        };
      } catch {
        // Some browsers only allow notifications from a service worker; the toast remains.
      }
    }
    if (settings?.sound) this.deps.playChime();
  }

  /** Records an alert and shows its toast; false if it was already shown. */
  private add(key: string, conversationId: string, title: string, body: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    const item: NotificationItem = { id: this.next++, key, conversationId, title, body, at: this.deps.now(), read: false };
    this.items = [item, ...this.items].slice(0, 100);
    this.deps.toast(title, body, { label: 'Open', run: () => this.openItem(conversationId) });
    return true;
  }

  /** Opens the conversation of an alert and marks its alerts read. */
  openItem(conversationId: string): void {
    this.markRead(conversationId);
    this.deps.open(conversationId);
  }

  markRead(conversationId: string): void {
    for (const i of this.items) if (i.conversationId === conversationId) i.read = true;
  }

  markAllRead(): void {
    for (const i of this.items) i.read = true;
  }

  clear(): void {
    this.items = [];
    this.seen.clear();
  }
}
