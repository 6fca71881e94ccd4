// The conversation as the visitor sees it: the ordered list of bubbles and notices built
// from frames (socket or REST, in any mix), with seq tracking per conversation,
// de-duplication by seq and by message id, optimistic visitor messages, and the switch to
// a new conversation (H7). Pure state: no DOM, no timers, no I/O.
import type { Frame, Status, StoredMessage } from './types';

export type ItemKind = 'visitor' | 'bot' | 'agent' | 'notice';
export type Delivery = 'sending' | 'sent' | 'failed';

export interface Item {
  /** Stable identity for the view; never changes once given. */
  readonly key: string;
  kind: ItemKind;
  text: string;
  conversationId: string;
  /** The conversation's seq of the event that carried it; 0 while not yet known. */
  seq: number;
  /** Server message id, once known. */
  id?: string;
  createdAt?: string;
  agentName?: string;
  delivery?: Delivery;
  /** Why sending failed (shown with a retry button). */
  error?: string;
  /** The last visitor message the team has read: the one that shows "Seen". */
  seen?: boolean;
  /** A "joined" notice that may still learn the agent's name. */
  joined?: boolean;
  /** Bumped on every change, so the view redraws only what changed. */
  version: number;
  /** Local creation order, the tie-breaker for items without a seq. */
  readonly local: number;
}

interface ConvState {
  order: number;
  /** Highest seq up to which every event has been applied: the resume point. */
  last: number;
  /** Seqs applied above `last` (after a gap). */
  ahead: Set<number>;
}

export interface ApplyResult {
  /** The frame changed something (false for duplicates and unknown types). */
  applied: boolean;
  /** The frame started (or moved to) another conversation. */
  switched: boolean;
  /** A seq was skipped: the owner should catch up from lastSeq(). */
  gap: boolean;
}

export const NOTICE = {
  handoffStarted: 'Connecting you to a human agent…',
  handoffEnded: "You're back with the assistant.",
  waiting: 'Waiting for an agent… You can keep writing here.',
  joined: 'An agent joined the conversation.',
  offline: "No agent is available right now. Leave your details and we'll get back to you.",
  ended: 'This conversation has ended. Write a message to start a new one.',
} as const;

const STATUSES: readonly Status[] = ['bot', 'waiting', 'human', 'offline', 'resolved', 'closed', 'abandoned'];

export class Conversation {
  items: Item[] = [];
  current: string;
  status: Status = 'bot';
  /** The name of the agent who last wrote in the current conversation. */
  agentName: string | null = null;
  /** Who is typing right now (name, or "" when unnamed), or null. */
  typing: string | null = null;
  private convs = new Map<string, ConvState>();
  private byId = new Map<string, Item>();
  private counter = 0;
  private nextOrder = 0;
  private teamRead = 0;

  constructor(conversationId = '') {
    this.current = conversationId;
    if (conversationId) this.conv(conversationId);
  }

  /** The resume point of a conversation (the current one by default). */
  lastSeq(conversationId = this.current): number {
    return this.convs.get(conversationId)?.last ?? 0;
  }

  /** Makes `id` the current conversation (a new session, or the server said so). */
  switchTo(id: string): boolean {
    if (!id || id === this.current) return false;
    this.current = id;
    this.conv(id);
    this.status = 'bot';
    this.agentName = null;
    this.typing = null;
    this.teamRead = 0;
    return true;
  }

  /** Shows the chatbot's greeting as the very first bot bubble. */
  setGreeting(text: string): void {
    const existing = this.items.find((i) => i.key === 'greeting');
    if (!text) {
      if (existing) this.items = this.items.filter((i) => i !== existing);
      return;
    }
    if (existing) {
      existing.text = text;
      existing.version++;
      return;
    }
    this.insert({ key: 'greeting', kind: 'bot', text, conversationId: '', seq: 0, version: 0, local: -1 });
  }

  /** Applies one durable or ephemeral frame. */
  apply(f: Frame): ApplyResult {
    const result: ApplyResult = { applied: false, switched: false, gap: false };
    const data = f.data ?? {};
    if (!f.seq) {
      result.applied = this.ephemeral(f.type, data);
      return result;
    }
    const convId = f.conversation_id || this.current;
    if (!convId) return result;
    if (convId !== this.current && !this.convs.has(convId)) {
      // H7: a conversation we have not seen is the visitor's new current one.
      result.switched = this.switchTo(convId);
    }
    const c = this.conv(convId);
    if (f.seq <= c.last || c.ahead.has(f.seq)) return result; // Seen already.
    if (f.seq > c.last + 1) {
      result.gap = true;
      c.ahead.add(f.seq);
    } else {
      c.last = f.seq;
      while (c.ahead.delete(c.last + 1)) c.last++;
    }
    const isCurrent = convId === this.current;
    result.applied = this.durable(f.type, f.seq, convId, data, isCurrent);
    return result;
  }

  /** Adds the visitor's message optimistically, as "sending". */
  addPending(text: string): Item {
    const item: Item = {
      key: 'local:' + this.counter,
      kind: 'visitor',
      text,
      conversationId: this.current,
      seq: 0,
      createdAt: new Date().toISOString(),
      delivery: 'sending',
      version: 0,
      local: this.counter++,
    };
    this.insert(item);
    return item;
  }

  /**
   * Marks an optimistic message as stored (the POST answered 201). If its echo already
   * arrived under another item, the optimistic one goes. Returns whether the answer moved
   * the visitor to another conversation (H7).
   */
  markSent(item: Item, msg: StoredMessage): boolean {
    const other = msg.id ? this.byId.get(msg.id) : undefined;
    if (other && other !== item) {
      this.remove(item);
      return false;
    }
    let switched = false;
    if (msg.conversation_id && msg.conversation_id !== item.conversationId) {
      if (!this.convs.has(msg.conversation_id)) switched = this.switchTo(msg.conversation_id);
      item.conversationId = msg.conversation_id;
    }
    if (msg.id) {
      item.id = msg.id;
      this.byId.set(msg.id, item);
    }
    item.delivery = 'sent';
    item.error = undefined;
    if (msg.created_at) item.createdAt = msg.created_at;
    item.version++;
    this.sort();
    return switched;
  }

  markFailed(item: Item, error: string): void {
    item.delivery = 'failed';
    item.error = error;
    item.version++;
  }

  markSending(item: Item): void {
    item.delivery = 'sending';
    item.error = undefined;
    item.version++;
  }

  /** Bot and agent messages of the current conversation above `readSeq`. */
  unread(readSeq: number): number {
    return this.items.filter(
      (i) => i.conversationId === this.current && i.seq > readSeq && (i.kind === 'bot' || i.kind === 'agent'),
    ).length;
  }

  /** The team or bot stopped typing (also used by the owner's safety timer). */
  clearTyping(): boolean {
    if (this.typing === null) return false;
    this.typing = null;
    return true;
  }

  has(key: string): boolean {
    return this.items.some((i) => i.key === key);
  }

  private ephemeral(type: string, data: Record<string, unknown>): boolean {
    if (type === 'typing') {
      const name = typeof data.name === 'string' ? data.name : '';
      const next = data.typing === true ? name : null;
      if (next === this.typing) return false;
      this.typing = next;
      return true;
    }
    if (type === 'read') {
      const seq = typeof data.seq === 'number' ? data.seq : 0;
      if (seq <= this.teamRead) return false;
      this.teamRead = seq;
      this.markSeen();
      return true;
    }
    return false;
  }

  private durable(type: string, seq: number, convId: string, data: Record<string, unknown>, isCurrent: boolean): boolean {
    const base = { conversationId: convId, seq, version: 0 };
    switch (type) {
      case 'visitor_message':
      case 'bot_message':
      case 'agent_message': {
        const kind: ItemKind = type === 'visitor_message' ? 'visitor' : type === 'bot_message' ? 'bot' : 'agent';
        const id = typeof data.id === 'string' ? data.id : undefined;
        const content = typeof data.content === 'string' ? data.content : '';
        const createdAt = typeof data.created_at === 'string' ? data.created_at : undefined;
        if (id && this.byId.has(id)) {
          const known = this.byId.get(id)!;
          if (!known.seq) this.setSeq(known, seq, convId);
          return false;
        }
        if (kind === 'visitor') {
          const pending = this.items.find(
            (i) => i.kind === 'visitor' && !i.seq && !i.id && i.delivery !== 'failed' && i.text.trim() === content.trim(),
          );
          if (pending) {
            if (id) {
              pending.id = id;
              this.byId.set(id, pending);
            }
            pending.delivery = 'sent';
            if (createdAt) pending.createdAt = createdAt;
            this.setSeq(pending, seq, convId);
            return true;
          }
        }
        const item: Item = { ...base, key: convId + ':' + seq, kind, text: content, id, createdAt, local: this.counter++ };
        if (kind === 'visitor') item.delivery = 'sent';
        if (kind === 'agent') {
          const name = typeof data.agent_name === 'string' && data.agent_name ? data.agent_name : 'Agent';
          item.agentName = name;
          if (isCurrent) {
            this.agentName = name;
            this.nameJoined(convId, name);
          }
        }
        if (id) this.byId.set(id, item);
        if (isCurrent && kind !== 'visitor') this.typing = null;
        this.insert(item);
        if (kind === 'visitor' && isCurrent) this.markSeen();
        return true;
      }
      case 'handoff_started':
        // When no agent is online the server says "offline" first; "Connecting you…" after
        // "no agent is available" would contradict it.
        if (!(isCurrent && this.status === 'offline')) this.notice(convId, seq, NOTICE.handoffStarted);
        return true;
      case 'handoff_ended':
        this.notice(convId, seq, NOTICE.handoffEnded);
        if (isCurrent) this.agentName = null;
        return true;
      case 'status': {
        const s = data.status as Status;
        if (!STATUSES.includes(s)) return false;
        if (isCurrent) this.status = s;
        if (s === 'waiting') this.notice(convId, seq, NOTICE.waiting);
        else if (s === 'human') this.notice(convId, seq, this.agentName ? `${this.agentName} joined the conversation.` : NOTICE.joined, !this.agentName);
        else if (s === 'offline') this.notice(convId, seq, NOTICE.offline);
        else if (s === 'resolved' || s === 'closed' || s === 'abandoned') {
          this.notice(convId, seq, NOTICE.ended);
          if (isCurrent) this.typing = null;
        }
        return true;
      }
      default:
        // An event type this widget does not know yet: its seq still counts.
        return false;
    }
  }

  private notice(convId: string, seq: number, text: string, joined = false): void {
    this.insert({ key: convId + ':' + seq, kind: 'notice', text, conversationId: convId, seq, joined, version: 0, local: this.counter++ });
  }

  /** The first agent message after "An agent joined" names the agent in that notice. */
  private nameJoined(convId: string, name: string): void {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i];
      if (it.conversationId !== convId) continue;
      if (it.kind === 'notice' && it.joined) {
        it.text = `${name} joined the conversation.`;
        it.joined = false;
        it.version++;
        return;
      }
      if (it.kind === 'agent') return; // Already named by an earlier message.
    }
  }

  /** Puts "Seen" on the last visitor message of the current conversation the team read. */
  private markSeen(): void {
    let target: Item | undefined;
    for (const it of this.items) {
      if (it.kind === 'visitor' && it.conversationId === this.current && it.seq && it.seq <= this.teamRead) target = it;
    }
    for (const it of this.items) {
      const want = it === target;
      if (!!it.seen !== want) {
        it.seen = want;
        it.version++;
      }
    }
  }

  private setSeq(item: Item, seq: number, convId: string): void {
    item.seq = seq;
    item.conversationId = convId;
    item.version++;
    this.sort();
    if (item.kind === 'visitor') this.markSeen();
  }

  private conv(id: string): ConvState {
    let c = this.convs.get(id);
    if (!c) {
      c = { order: this.nextOrder++, last: 0, ahead: new Set() };
      this.convs.set(id, c);
    }
    return c;
  }

  private insert(item: Item): void {
    this.items.push(item);
    this.sort();
  }

  private remove(item: Item): void {
    this.items = this.items.filter((i) => i !== item);
  }

  private sort(): void {
    this.items.sort((a, b) => this.rank(a) - this.rank(b) || (a.seq || Infinity) - (b.seq || Infinity) || a.local - b.local);
  }

  /** Conversations in the order they appeared; the greeting above everything. */
  private rank(i: Item): number {
    if (i.key === 'greeting') return -1;
    return this.convs.get(i.conversationId)?.order ?? this.nextOrder;
  }
}
