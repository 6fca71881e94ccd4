// The open conversation and its messages (feature 4): newest page first from the API,
// shown oldest at top; older pages on scroll-up; live frames appended without duplicates.
import { api, errorText, query } from '../lib/api';
import { applyMessageUpdate, mergeConversation, mergeMessages } from '../lib/merge';
import type { Conversation, Frame, Message, MessagePage, UserRef } from '../lib/types';

export const MESSAGE_PAGE = 50;
const TYPING_TIMEOUT = 6000;

export interface ThreadDeps {
  get: <T>(path: string) => Promise<T>;
  userRef: (id: string) => UserRef | null;
}

export class ThreadStore {
  id = $state<string | null>(null);
  conversation = $state<Conversation | null>(null);
  messages = $state.raw<Message[]>([]);
  status = $state<'idle' | 'loading' | 'ready' | 'error' | 'notfound'>('idle');
  error = $state('');
  nextBefore = $state(0);
  loadingOlder = $state(false);
  olderError = $state('');
  /** The highest team seq seen for this conversation (messages and other events). */
  lastSeq = $state(0);
  visitorTyping = $state(false);

  private deps: ThreadDeps;
  private generation = 0;
  private typingTimer: ReturnType<typeof setTimeout> | null = null;
  /** message_updated frames that arrived while the first page was loading. */
  private pendingUpdates: Message[] = [];

  constructor(deps: Partial<ThreadDeps> = {}) {
    this.deps = { get: (p) => api.get(p), userRef: () => null, ...deps };
  }

  configure(deps: Partial<ThreadDeps>): void {
    this.deps = { ...this.deps, ...deps };
  }

  get hasOlder(): boolean {
    return this.nextBefore > 0;
  }

  async open(id: string): Promise<void> {
    if (this.id === id && (this.status === 'ready' || this.status === 'loading')) return;
    const gen = ++this.generation;
    this.id = id;
    this.conversation = null;
    this.messages = [];
    this.nextBefore = 0;
    this.lastSeq = 0;
    this.olderError = '';
    this.setTyping(false);
    this.pendingUpdates = [];
    this.status = 'loading';
    this.error = '';
    try {
      const enc = encodeURIComponent(id);
      const [c, page] = await Promise.all([
        this.deps.get<Conversation>(`/api/v1/conversations/${enc}`),
        this.deps.get<MessagePage>(`/api/v1/conversations/${enc}/messages${query({ limit: MESSAGE_PAGE })}`),
      ]);
      if (gen !== this.generation) return;
      this.conversation = c;
      // Frames that arrived while loading are already in messages: merge, do not replace.
      this.messages = mergeMessages(this.messages, page.messages ?? []);
      for (const u of this.pendingUpdates.splice(0)) this.messages = applyMessageUpdate(this.messages, u) ?? this.messages;
      this.nextBefore = page.next_before ?? 0;
      this.lastSeq = Math.max(this.lastSeq, c.last_seq ?? 0, ...this.messages.map((m) => m.seq));
      this.status = 'ready';
    } catch (err) {
      if (gen !== this.generation) return;
      const status = (err as { status?: number }).status;
      this.status = status === 404 ? 'notfound' : 'error';
      this.error = errorText(err, 'Could not load this conversation.');
    }
  }

  /** Loads the previous (older) page; resolves once merged. */
  async loadOlder(): Promise<void> {
    if (!this.id || !this.hasOlder || this.loadingOlder || this.status !== 'ready') return;
    const gen = this.generation;
    this.loadingOlder = true;
    this.olderError = '';
    try {
      const page = await this.deps.get<MessagePage>(
        `/api/v1/conversations/${encodeURIComponent(this.id)}/messages${query({ before: this.nextBefore, limit: MESSAGE_PAGE })}`,
      );
      if (gen !== this.generation) return;
      this.messages = mergeMessages(this.messages, page.messages ?? []);
      this.nextBefore = page.next_before ?? 0;
    } catch (err) {
      if (gen === this.generation) this.olderError = errorText(err, 'Could not load older messages.');
    } finally {
      if (gen === this.generation) this.loadingOlder = false;
    }
  }

  /** Adds a message the agent just sent (the POST answer); the socket echo is deduplicated. */
  addMessage(m: Message): void {
    if (m.conversation_id !== this.id) return;
    this.messages = mergeMessages(this.messages, [m]);
    this.lastSeq = Math.max(this.lastSeq, m.seq);
  }

  setConversation(c: Conversation): void {
    if (c.id !== this.id) return;
    this.conversation = this.conversation ? mergeConversation(this.conversation, c) : c;
    this.lastSeq = Math.max(this.lastSeq, c.last_seq ?? 0);
  }

  /** Applies a socket frame if it concerns the open conversation. */
  applyFrame(f: Frame): boolean {
    if (!this.id || f.conversation_id !== this.id) {
      // message_created carries conversation_id in data as well.
      const d = f.data as { conversation_id?: string } | undefined;
      if (!this.id || d?.conversation_id !== this.id) return false;
    }
    if (f.seq && f.seq > 0) this.lastSeq = Math.max(this.lastSeq, f.seq);
    switch (f.type) {
      case 'message_created': {
        const m = f.data as Message;
        if (!m || typeof m.id !== 'string') return false;
        this.messages = mergeMessages(this.messages, [m]);
        this.lastSeq = Math.max(this.lastSeq, m.seq || 0);
        if (m.kind === 'visitor') this.setTyping(false);
        return true;
      }
      case 'message_updated': {
        // A delivery status moved on (M4): sent, delivered, read, or failed with a reason.
        const m = f.data as Message;
        if (!m || typeof m.id !== 'string') return false;
        if (this.status === 'loading') {
          this.pendingUpdates.push(m);
          return true;
        }
        const next = applyMessageUpdate(this.messages, m);
        if (next) this.messages = next;
        return next !== null;
      }
      case 'conversation_updated':
      case 'conversation_created': {
        const c = f.data as Partial<Conversation> & { id: string };
        if (!this.conversation || !c) return false;
        if (c.last_seq !== undefined && c.last_seq < this.conversation.last_seq) return false;
        const patch: Partial<Conversation> = { ...c };
        if (c.assignee_id !== undefined && c.assignee === undefined) patch.assignee = c.assignee_id ? this.deps.userRef(c.assignee_id) : null;
        this.conversation = mergeConversation(this.conversation, patch);
        return true;
      }
      case 'typing': {
        const d = f.data as { typing?: boolean; who?: string } | undefined;
        if (d?.who && d.who !== 'visitor') return false;
        this.setTyping(!!d?.typing);
        return true;
      }
    }
    return false;
  }

  private setTyping(on: boolean): void {
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.typingTimer = null;
    this.visitorTyping = on;
    // A lost "typing: false" must not leave the indicator on forever.
    if (on) this.typingTimer = setTimeout(() => (this.visitorTyping = false), TYPING_TIMEOUT);
  }

  close(): void {
    this.generation++;
    this.id = null;
    this.conversation = null;
    this.messages = [];
    this.status = 'idle';
    this.nextBefore = 0;
    this.lastSeq = 0;
    this.pendingUpdates = [];
    this.setTyping(false);
  }
}

export const thread = new ThreadStore();
