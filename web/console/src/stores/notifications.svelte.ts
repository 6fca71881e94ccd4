// The notification centre (A9, M7, Q3): the user's stored notifications from
// GET /api/v1/notifications (mentions, assignments, followed conversations), plus handoff
// alerts, which are per console. Live `mention` and `notification` frames add to it with a
// toast; handoffs and mentions also raise a desktop notification (and the chime) when the
// agent's settings and the browser allow. Reading one marks it read on the server.
import { errorText } from '../lib/api';
import type { Frame, HandoffData, NotificationSettings, ServerNotification } from '../lib/types';

export interface NotificationItem {
  /** The server's id, or "local:n" for a handoff or assignment seen on the socket. */
  id: string;
  server: boolean;
  kind: string;
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
  /** The id of the signed-in user (alerts about their own actions are skipped). */
  meId: () => string;
  get: <T>(path: string) => Promise<T>;
  post: (path: string) => Promise<unknown>;
}

export function handoffTitle(chatbotName: string): string {
  return 'New handoff — ' + chatbotName;
}

export function handoffBody(visitorName: string, reason: string): string {
  return visitorName + ': ' + reason;
}

/** The title of a stored notification, by kind. */
export function notificationTitle(n: Pick<ServerNotification, 'kind' | 'actor_name'>): string {
  const who = n.actor_name?.trim() || 'A teammate';
  switch (n.kind) {
    case 'mention':
      return `${who} mentioned you`;
    case 'assigned':
      return 'Conversation assigned to you';
    case 'following':
      return 'Update on a conversation you follow';
  }
  return 'Notification';
}

/** A socket assignment and the stored notification of the same transfer are one alert. */
const SAME_ALERT_MS = 15_000;
const MAX_ITEMS = 100;

export class NotificationCenter {
  items = $state<NotificationItem[]>([]);
  permission = $state<string>('default');
  /** Unread stored notifications, including those beyond the loaded page. */
  serverUnread = $state(0);
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  error = $state('');

  private deps: NotifyDeps;
  private next = 1;
  private seen = new Set<string>();
  private loadGen = 0;

  constructor(deps: NotifyDeps) {
    this.deps = deps;
    this.permission = deps.notificationApi()?.permission ?? 'unsupported';
  }

  get unreadCount(): number {
    return this.serverUnread + this.items.filter((i) => !i.server && !i.read).length;
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

  /** Reads the stored notifications (after sign-in and after a reconnect). */
  async load(): Promise<void> {
    const gen = ++this.loadGen;
    if (this.status !== 'ready') this.status = 'loading';
    this.error = '';
    try {
      const r = await this.deps.get<{ notifications: ServerNotification[]; unread: number }>('/api/v1/notifications');
      if (gen !== this.loadGen) return;
      const fresh = (r.notifications ?? []).map((n) => this.fromServer(n));
      for (const i of fresh) this.seen.add('n:' + i.id);
      // Local alerts stay; stored ones are replaced by the server's view.
      this.items = sortItems([...this.items.filter((i) => !i.server && !this.supersededBy(i, fresh)), ...fresh]).slice(0, MAX_ITEMS);
      this.serverUnread = Math.max(0, r.unread ?? fresh.filter((i) => !i.read).length);
      this.status = 'ready';
    } catch (err) {
      if (gen !== this.loadGen) return;
      this.status = 'error';
      this.error = errorText(err, 'Could not load the notifications.');
    }
  }

  applyFrame(f: Frame): boolean {
    switch (f.type) {
      case 'handoff': {
        const d = f.data as HandoffData | undefined;
        if (!d || typeof d.conversation_id !== 'string') return false;
        // No alert for the agent's own Join.
        if (d.by && d.by === this.deps.meId()) return false;
        this.handoff(d, f.seq ?? 0);
        return true;
      }
      case 'assigned': {
        const d = f.data as { conversation_id?: string; assignee_id?: string; by?: string } | undefined;
        if (!d?.conversation_id || !d.assignee_id || d.assignee_id !== this.deps.meId() || d.by === this.deps.meId()) return false;
        const now = this.deps.now();
        // A transfer or a routing offer also stores a notification: show one alert.
        if (this.items.some((i) => i.server && i.kind === 'assigned' && i.conversationId === d.conversation_id && Math.abs(now - i.at) < SAME_ALERT_MS)) return true;
        this.addLocal(`assigned:${d.conversation_id}:${f.seq || now}`, 'assigned', d.conversation_id, 'Conversation assigned to you', 'A teammate assigned you a conversation.');
        return true;
      }
      case 'mention':
      case 'notification': {
        const n = f.data as ServerNotification | undefined;
        if (!n || typeof n.id !== 'string') return false;
        this.stored(n);
        return true;
      }
    }
    return false;
  }

  private fromServer(n: ServerNotification): NotificationItem {
    const at = Date.parse(n.created_at);
    return {
      id: n.id,
      server: true,
      kind: n.kind,
      conversationId: n.conversation_id ?? '',
      title: notificationTitle(n),
      body: n.body ?? '',
      at: Number.isFinite(at) ? at : this.deps.now(),
      read: !!n.read_at,
    };
  }

  /** Whether a local assignment alert is the same event as one of these stored ones. */
  private supersededBy(local: NotificationItem, stored: NotificationItem[]): boolean {
    return local.kind === 'assigned' && stored.some((s) => s.kind === 'assigned' && s.conversationId === local.conversationId && Math.abs(s.at - local.at) < SAME_ALERT_MS);
  }

  /** A live stored notification (mention, assignment, …). */
  private stored(n: ServerNotification): void {
    const key = 'n:' + n.id;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const item = this.fromServer(n);
    const twin = this.items.find((i) => !i.server && this.supersededBy(i, [item]));
    if (twin) {
      // The socket's assignment alert was already shown: keep one entry, no second toast.
      item.read = item.read || twin.read;
      this.items = sortItems([item, ...this.items.filter((i) => i !== twin)]);
      if (!item.read) {
        this.serverUnread++;
        if (twin.read) void this.postRead(item.id);
      }
      return;
    }
    this.items = sortItems([item, ...this.items]).slice(0, MAX_ITEMS);
    if (!item.read) this.serverUnread++;
    this.deps.toast(item.title, item.body, { label: 'Open', run: () => this.openItem(item.conversationId) });
    if (n.kind === 'mention') {
      this.desktop(item.title, item.body, 'mention-' + n.id, item.conversationId, false);
      if (this.deps.settings()?.sound) this.deps.playChime();
    }
  }

  private handoff(d: HandoffData, seq: number): void {
    const title = handoffTitle(d.chatbot_name);
    const body = handoffBody(d.visitor_name, d.reason);
    const key = seq > 0 ? `handoff:${d.conversation_id}:${seq}` : `handoff:${d.conversation_id}:${d.reason}:${Math.floor(this.deps.now() / 5000)}`;
    if (!this.addLocal(key, 'handoff', d.conversation_id, title, body)) return;
    this.desktop(title, body, 'handoff-' + d.conversation_id, d.conversation_id, true);
    if (this.deps.settings()?.sound) this.deps.playChime();
  }

  private desktop(title: string, body: string, tag: string, conversationId: string, requireInteraction: boolean): void {
    const settings = this.deps.settings();
    const N = this.deps.notificationApi();
    if (!settings?.desktop || !N || N.permission !== 'granted') return;
    try {
      const opts: NotificationOptions = { body, tag };
      if (requireInteraction) opts.requireInteraction = true;
      const n = new N(title, opts);
      n.onclick = () => {
        this.deps.focusWindow();
        if (conversationId) this.openItem(conversationId);
        n.close();
      };
    } catch {
      // Some browsers only allow notifications from a service worker; the toast remains.
    }
  }

  /** Records a console-only alert and shows its toast; false if it was already shown. */
  private addLocal(key: string, kind: string, conversationId: string, title: string, body: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    const item: NotificationItem = { id: 'local:' + this.next++, server: false, kind, conversationId, title, body, at: this.deps.now(), read: false };
    this.items = [item, ...this.items].slice(0, MAX_ITEMS);
    this.deps.toast(title, body, { label: 'Open', run: () => this.openItem(conversationId) });
    return true;
  }

  /** Opens the conversation of an alert and marks its alerts read. */
  openItem(conversationId: string): void {
    this.markRead(conversationId);
    if (conversationId) this.deps.open(conversationId);
  }

  /** Marks every alert of a conversation read (on the server too). */
  markRead(conversationId: string): void {
    for (const i of this.items) {
      if (i.conversationId !== conversationId || i.read) continue;
      this.readItem(i);
    }
  }

  /** Marks one item read. */
  readItem(i: NotificationItem): void {
    if (i.read) return;
    i.read = true;
    if (i.server) {
      this.serverUnread = Math.max(0, this.serverUnread - 1);
      void this.postRead(i.id);
    }
  }

  markAllRead(): void {
    const hadServer = this.serverUnread > 0 || this.items.some((i) => i.server && !i.read);
    for (const i of this.items) i.read = true;
    this.serverUnread = 0;
    if (hadServer) void this.postRead('all');
  }

  private async postRead(id: string): Promise<void> {
    try {
      await this.deps.post(`/api/v1/notifications/${encodeURIComponent(id)}/read`);
    } catch {
      // Best effort: the next load shows the server's view.
    }
  }

  clear(): void {
    this.loadGen++;
    this.items = [];
    this.seen.clear();
    this.serverUnread = 0;
    this.status = 'idle';
    this.error = '';
  }
}

function sortItems(items: NotificationItem[]): NotificationItem[] {
  return items.slice().sort((a, b) => b.at - a.at);
}
