// The widget's controller: owns the session, feeds frames from the socket and the REST
// fallback into the conversation, sends the visitor's messages, typing and read receipts,
// and asks the view to draw.
import { Api, ApiError } from './api';
import { Conversation, type Item } from './conversation';
import { initialPanel, panelReducer, type PanelEvent, type PanelState } from './panel';
import { VisitorSocket, type SocketState } from './socket';
import { SessionStore, type KV, type Saved } from './storage';
import type { EmbedOptions, EventPage, Frame } from './types';
import { View } from './view';

export const TYPING_THROTTLE_MS = 3000;
export const TYPING_IDLE_MS = 5000;
/** How long a typing indicator stays without news (in case "typing: false" is lost). */
export const TYPING_SHOW_MS = 8000;
/** REST polling while the socket is down: panel open / closed. */
export const POLL_OPEN_MS = 4000;
export const POLL_CLOSED_MS = 30000;
const PAGE = 500;

export interface WidgetDeps {
  fetch?: typeof fetch;
  WebSocketImpl?: typeof WebSocket;
  storage?: KV | null;
  doc?: Document;
  win?: Window;
}

export class Widget {
  readonly api: Api;
  readonly conversation = new Conversation();
  readonly socket: VisitorSocket;
  panel: PanelState = initialPanel;
  title = 'Chat';
  private readonly store: SessionStore;
  private saved: Saved | null = null;
  private view: View | null = null;
  private sessionPromise: Promise<Saved> | null = null;
  private readonly doc: Document;
  private readonly win: Window;
  private flushQueued = false;
  private catchingUp: Promise<void> | null = null;
  private catchUpAgain = false;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private typingSentAt = 0;
  private typingIdle: ReturnType<typeof setTimeout> | null = null;
  private typingShown: ReturnType<typeof setTimeout> | null = null;
  private readSent = new Map<string, number>();
  private socketState: SocketState = 'idle';

  constructor(
    readonly opts: EmbedOptions,
    deps: WidgetDeps = {},
  ) {
    this.doc = deps.doc ?? document;
    this.win = deps.win ?? window;
    this.api = new Api(opts.baseURL, deps.fetch);
    this.store = new SessionStore(opts.chatbot, deps.storage === undefined ? undefined : deps.storage);
    this.socket = new VisitorSocket({
      url: () => (this.saved ? this.api.socketURL(this.saved.token, this.conversation.lastSeq(), this.conversation.current) : null),
      onFrame: (f) => this.receive([f]),
      onState: (s, failures) => this.socketChanged(s, failures),
      onUnauthorized: () => {
        this.renewSession().catch((e: unknown) => {
          this.dispatch({ type: 'unreachable', message: e instanceof ApiError ? e.message : "We can't reach the chat server right now." });
          this.changed();
        });
      },
      WebSocketImpl: deps.WebSocketImpl,
    });
  }

  /** Puts the widget on the page and resumes a stored session. */
  mount(parent: HTMLElement = this.doc.body): HTMLElement {
    const host = this.doc.createElement('div');
    host.id = 'baton-widget';
    host.setAttribute('data-baton', this.opts.chatbot);
    const shadow = host.attachShadow({ mode: 'open' });
    this.view = new View(
      shadow,
      {
        toggle: () => (this.panel.open ? this.close() : this.open()),
        close: () => this.close(),
        send: (text) => void this.send(text),
        retry: (item) => void this.retry(item),
        retryConnection: () => this.retryConnection(),
        input: (text) => this.typed(text),
        offline: (form) => void this.sendOffline(form),
      },
      this.doc,
      { name: this.opts.name, email: this.opts.email },
    );
    parent.appendChild(host);
    this.doc.addEventListener('visibilitychange', () => {
      this.markRead();
      if (!this.doc.hidden) this.schedulePoll(0);
    });
    this.win.addEventListener('online', () => {
      if (this.saved) {
        this.socket.reconnectNow();
        void this.catchUp();
      }
    });
    this.boot();
    this.flush();
    return host;
  }

  open(): void {
    this.dispatch({ type: 'open' });
    this.flush();
    this.view?.focusInput();
    if (this.saved) this.schedulePoll(0);
  }

  close(): void {
    const hadFocus = this.view?.hasFocus() ?? false;
    this.dispatch({ type: 'close' });
    this.flush();
    if (hadFocus) this.view?.focusLauncher();
  }

  /** Sends a visitor message: shown at once as "sending", then "sent" or "failed". */
  async send(text: string): Promise<void> {
    const item = this.conversation.addPending(text);
    this.stopTyping();
    this.flush(); // The visitor's own words show at once.
    await this.deliver(item);
  }

  async retry(item: Item): Promise<void> {
    if (item.delivery !== 'failed') return;
    this.conversation.markSending(item);
    this.changed();
    await this.deliver(item);
  }

  retryConnection(): void {
    this.dispatch({ type: 'reachable' });
    this.changed();
    if (this.saved) {
      this.socket.reconnectNow();
      void this.catchUp();
    }
  }

  /** Frames from the socket or from GET /widget/v1/messages. */
  receive(frames: Frame[]): void {
    let gap = false;
    for (const f of frames) {
      const r = this.conversation.apply(f);
      if (r.switched) this.conversationSwitched();
      gap ||= r.gap;
      if (f.type === 'status' && r.applied && (f.conversation_id ?? this.conversation.current) === this.conversation.current) {
        this.dispatch({ type: 'status', status: this.conversation.status, offlineSent: this.offlineSent() });
      }
      if (f.type === 'typing' && r.applied) this.typingFrame();
    }
    if (gap) void this.catchUp();
    this.changed();
  }

  private boot(): void {
    this.api.config(this.opts.chatbot).then(
      (c) => {
        if (c && typeof c.name === 'string' && c.name) this.title = c.name;
        if (c && typeof c.greeting === 'string') this.conversation.setGreeting(c.greeting);
        this.changed();
      },
      () => {
        // 404 (an older server) or unreachable: defaults; the banner comes from real calls.
      },
    );
    const saved = this.store.load();
    if (saved && (saved.user_id ?? '') !== (this.opts.userId ?? '')) {
      // Another signed-in user on this browser: never show them the previous one's chat.
      this.store.clear();
    } else if (saved) {
      this.adopt(saved);
      this.dispatch({ type: 'load' });
      void this.catchUp().then(() => this.socket.start());
    }
  }

  private adopt(saved: Saved): void {
    this.saved = saved;
    this.conversation.switchTo(saved.conversation_id);
  }

  /** The stored session, or a new one (opened once even if asked for twice at once). */
  private ensureSession(): Promise<Saved> {
    if (this.saved) return Promise.resolve(this.saved);
    if (!this.sessionPromise) {
      const o = this.opts;
      this.sessionPromise = this.api
        .openSession({ chatbot: o.chatbot, name: o.name, email: o.email, user_id: o.userId, user_hash: o.userHash })
        .then((s) => {
          const saved: Saved = {
            session_id: s.session_id,
            token: s.token,
            conversation_id: s.conversation_id,
            user_id: o.userId,
            seqs: {},
            read: {},
            offline: {},
          };
          this.store.save(saved);
          this.adopt(saved);
          this.dispatch({ type: 'loaded' });
          this.socket.start();
          this.changed();
          return saved;
        })
        .finally(() => {
          this.sessionPromise = null;
        });
    }
    return this.sessionPromise;
  }

  /** The token was refused: forget it and open a new session. */
  private async renewSession(): Promise<Saved> {
    this.socket.stop();
    this.saved = null;
    this.store.clear();
    return this.ensureSession();
  }

  /** Calls `fn` with a token; on a 401 for a stored token, opens a new session and tries once more. */
  private async authed<T>(fn: (token: string) => Promise<T>): Promise<T> {
    const s = await this.ensureSession();
    try {
      return await fn(s.token);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        const fresh = await this.renewSession();
        return fn(fresh.token);
      }
      throw e;
    }
  }

  private async deliver(item: Item): Promise<void> {
    try {
      const msg = await this.authed((token) => this.api.postMessage(token, item.text));
      if (this.conversation.markSent(item, msg)) this.conversationSwitched();
      this.dispatch({ type: 'reachable' });
      if (!this.socket.connected) this.schedulePoll(800);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, 'network', 'Not sent.');
      this.conversation.markFailed(item, err.status === 0 ? 'Not sent: no connection.' : err.message);
      if (err.unreachable) this.dispatch({ type: 'unreachable', message: err.message });
    }
    this.changed();
  }

  /** Reads what the socket has not delivered (history on load, gaps, the REST fallback). */
  catchUp(): Promise<void> {
    if (!this.saved) return Promise.resolve();
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      try {
        do {
          this.catchUpAgain = false;
          await this.catchUpOnce();
        } while (this.catchUpAgain);
        this.dispatch({ type: 'loaded' });
      } catch (e) {
        if (e instanceof ApiError && !e.unreachable) {
          this.dispatch({ type: 'loaded' });
        } else {
          const msg = e instanceof ApiError ? e.message : "We can't reach the chat server right now.";
          this.dispatch({ type: 'unreachable', message: msg });
        }
      } finally {
        this.catchingUp = null;
        this.changed();
      }
    })();
    return this.catchingUp;
  }

  private async catchUpOnce(): Promise<void> {
    for (let pages = 0; pages < 50; pages++) {
      const conv = this.conversation.current;
      const after = this.conversation.lastSeq(conv);
      let page: EventPage = await this.authed((t) => this.api.events(t, after, PAGE));
      if (page.conversation_id && page.conversation_id !== conv) {
        // The visitor is in another conversation now (H7): its seqs start again at 1.
        const own = this.conversation.lastSeq(page.conversation_id);
        if (own !== after) page = await this.authed((t) => this.api.events(t, own, PAGE));
      }
      const events = (page.events ?? []).map((f) => ({ ...f, conversation_id: f.conversation_id || page.conversation_id }));
      this.receive(events);
      if (events.length < PAGE) return;
    }
  }

  /** A new conversation started (H7). The socket follows the visitor's current
   * conversation by itself; a reconnect resumes it with its own seq. */
  private conversationSwitched(): void {
    if (this.saved) this.saved.conversation_id = this.conversation.current;
    this.dispatch({ type: 'conversation' });
  }

  private socketChanged(s: SocketState, failures: number): void {
    this.socketState = s;
    if (s === 'open') {
      this.dispatch({ type: 'reachable' });
      this.readSent.clear();
      this.markRead();
      this.stopPolling();
    } else if (s === 'waiting' || s === 'idle') {
      // Until the socket is back, REST keeps the conversation going.
      this.schedulePoll(failures >= 2 ? 0 : 1500);
    }
    this.changed();
  }

  private schedulePoll(delay: number): void {
    if (!this.saved || this.socket.connected) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(async () => {
      this.pollTimer = null;
      if (!this.saved || this.socket.connected) return;
      if (!this.doc.hidden) await this.catchUp();
      this.schedulePoll(this.panel.open ? POLL_OPEN_MS : POLL_CLOSED_MS);
    }, delay);
  }

  private stopPolling(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  /** The visitor typed: "typing: true" at most every 3 s, "false" after 5 s idle. */
  private typed(text: string): void {
    if (!text.trim()) {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (now - this.typingSentAt >= TYPING_THROTTLE_MS) {
      if (this.socket.send({ type: 'typing', data: { typing: true } })) this.typingSentAt = now;
    }
    if (this.typingIdle) clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    if (this.typingIdle) clearTimeout(this.typingIdle);
    this.typingIdle = null;
    if (this.typingSentAt) {
      this.socket.send({ type: 'typing', data: { typing: false } });
      this.typingSentAt = 0;
    }
  }

  private typingFrame(): void {
    if (this.typingShown) clearTimeout(this.typingShown);
    this.typingShown = null;
    if (this.conversation.typing !== null) {
      this.typingShown = setTimeout(() => {
        if (this.conversation.clearTyping()) this.changed();
      }, TYPING_SHOW_MS);
    }
  }

  /** While the panel is open and the page visible, tells the team what the visitor has seen. */
  private markRead(): void {
    if (!this.saved || !this.panel.open || this.doc.hidden) return;
    const conv = this.conversation.current;
    const seq = this.conversation.lastSeq(conv);
    if (!seq) return;
    if ((this.saved.read[conv] ?? 0) < seq) {
      this.saved.read[conv] = seq;
      this.persist();
    }
    if ((this.readSent.get(conv) ?? 0) < seq && this.socket.send({ type: 'read', data: { seq } })) {
      this.readSent.set(conv, seq);
    }
  }

  private async sendOffline(form: { name: string; email: string; message: string }): Promise<void> {
    this.dispatch({ type: 'offline_submit' });
    this.changed();
    try {
      await this.authed((t) => this.api.offline(t, form));
      if (this.saved) {
        this.saved.offline[this.conversation.current] = true;
        this.persist();
      }
      this.dispatch({ type: 'offline_sent' });
    } catch (e) {
      const msg = e instanceof ApiError && e.status !== 404 ? e.message : "We couldn't send your message. Please try again.";
      this.dispatch({ type: 'offline_failed', message: msg });
    }
    this.changed();
  }

  private offlineSent(): boolean {
    return !!this.saved?.offline[this.conversation.current];
  }

  private dispatch(e: PanelEvent): void {
    this.panel = panelReducer(this.panel, e);
  }

  private persist(): void {
    if (this.saved) this.store.save(this.saved);
  }

  /** Something changed: persist, mark read and redraw once per microtask. */
  private changed(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const c = this.conversation;
    if (this.saved) {
      this.saved.conversation_id = c.current;
      const last = c.lastSeq();
      if (last) this.saved.seqs[c.current] = last;
      this.persist();
      this.markRead();
    }
    const readSeq = this.saved?.read[c.current] ?? 0;
    this.view?.render({
      panel: this.panel,
      title: this.title,
      status: c.status,
      agentName: c.agentName,
      typing: c.typing,
      items: c.items,
      unread: this.saved ? c.unread(readSeq) : 0,
    });
  }

  /** For tests: the socket state last reported. */
  get connection(): SocketState {
    return this.socketState;
  }
}
