// Which conversations have news since this agent last opened them, kept in this browser
// (localStorage). A conversation opened before is unread when its last_seq passed the seq
// seen then; one never opened is unread when it had activity after the agent first used
// the console in this browser (so a first visit does not light up the whole history).
import type { Conversation } from '../lib/types';

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const MAX_ENTRIES = 2000;

interface Saved {
  since: number;
  seen: Record<string, number>;
}

export class UnreadTracker {
  seen = $state<Record<string, number>>({});
  since = $state(0);
  private key = '';
  private storage: KeyValueStorage | null;
  private now: () => number;

  constructor(storage: KeyValueStorage | null, now: () => number = Date.now) {
    this.storage = storage;
    this.now = now;
  }

  /** Loads the state of one user (call after sign-in). */
  load(userId: string): void {
    this.key = 'baton.unread.' + userId;
    let saved: Saved | null = null;
    try {
      const raw = this.storage?.getItem(this.key);
      saved = raw ? (JSON.parse(raw) as Saved) : null;
    } catch {
      saved = null;
    }
    this.since = saved && typeof saved.since === 'number' ? saved.since : this.now();
    this.seen = saved && saved.seen && typeof saved.seen === 'object' ? saved.seen : {};
    if (!saved) this.save();
  }

  isUnread(c: Pick<Conversation, 'id' | 'last_seq' | 'last_activity_at'>): boolean {
    const s = this.seen[c.id];
    if (s !== undefined) return c.last_seq > s;
    return (Date.parse(c.last_activity_at) || 0) > this.since;
  }

  /** Records that the agent has seen the conversation up to seq. */
  markSeen(id: string, seq: number): void {
    const cur = this.seen[id];
    if (cur !== undefined && cur >= seq) return;
    this.seen[id] = seq;
    this.prune();
    this.save();
  }

  private prune(): void {
    const keys = Object.keys(this.seen);
    if (keys.length <= MAX_ENTRIES) return;
    // Insertion order approximates age: drop the oldest entries.
    for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete this.seen[k];
  }

  private save(): void {
    if (!this.key) return;
    try {
      this.storage?.setItem(this.key, JSON.stringify({ since: this.since, seen: $state.snapshot(this.seen) }));
    } catch {
      // A full or disabled storage only costs the unread markers.
    }
  }
}

function browserStorage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export const unread = new UnreadTracker(browserStorage());
