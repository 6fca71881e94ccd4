// The conversation list (features 3 and 8): filters, cursor pages, and live merges of the
// socket's conversation_created / conversation_updated / assigned / message_created frames.
import { api, errorText, query } from '../lib/api';
import { emptyFilters, filterParams, matchesFilters, type Filters } from '../lib/filters';
import { mergePage, upsertRow } from '../lib/merge';
import type { Conversation, ConversationPage, Frame, Message, UserRef } from '../lib/types';

export const PAGE_SIZE = 50;

export interface ListDeps {
  get: <T>(path: string, opts?: { signal?: AbortSignal }) => Promise<T>;
  /** The signed-in user's id (for "assigned to me"). */
  meId: () => string;
  /** Names an assignee id from the team. */
  userRef: (id: string) => UserRef | null;
  now: () => number;
}

const defaultDeps: ListDeps = {
  get: (p, o) => api.get(p, o),
  meId: () => '',
  userRef: () => null,
  now: Date.now,
};

export class ConversationList {
  rows = $state.raw<Conversation[]>([]);
  filters = $state<Filters>(emptyFilters());
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  error = $state('');
  nextCursor = $state('');
  loadingMore = $state(false);
  moreError = $state('');

  private deps: ListDeps;
  private generation = 0;
  private abort: AbortController | null = null;

  constructor(deps: Partial<ListDeps> = {}) {
    this.deps = { ...defaultDeps, ...deps };
  }

  configure(deps: Partial<ListDeps>): void {
    this.deps = { ...this.deps, ...deps };
  }

  get hasMore(): boolean {
    return this.nextCursor !== '';
  }

  private url(cursor = ''): string {
    return '/api/v1/conversations' + query({ ...filterParams(this.filters), cursor, limit: PAGE_SIZE });
  }

  /** Reads the first page under the current filters, replacing the list. */
  async load(): Promise<void> {
    const gen = ++this.generation;
    this.abort?.abort();
    const ctl = typeof AbortController === 'undefined' ? null : new AbortController();
    this.abort = ctl;
    this.status = 'loading';
    this.error = '';
    this.moreError = '';
    try {
      const page = await this.deps.get<ConversationPage>(this.url(), { signal: ctl?.signal });
      if (gen !== this.generation) return;
      this.rows = mergePage([], page.conversations ?? []);
      this.nextCursor = page.next_cursor ?? '';
      this.status = 'ready';
    } catch (err) {
      if (gen !== this.generation || isAbort(err)) return;
      this.status = 'error';
      this.error = errorText(err, 'Could not load conversations.');
    }
  }

  /** Reads the next page (infinite scroll). */
  async loadMore(): Promise<void> {
    if (!this.nextCursor || this.loadingMore || this.status !== 'ready') return;
    const gen = this.generation;
    this.loadingMore = true;
    this.moreError = '';
    try {
      const page = await this.deps.get<ConversationPage>(this.url(this.nextCursor));
      if (gen !== this.generation) return;
      this.rows = mergePage(this.rows, page.conversations ?? []);
      this.nextCursor = page.next_cursor ?? '';
    } catch (err) {
      if (gen === this.generation) this.moreError = errorText(err, 'Could not load more conversations.');
    } finally {
      if (gen === this.generation) this.loadingMore = false;
    }
  }

  /**
   * Re-reads the first page and merges it into what is shown, keeping deeper pages and the
   * scroll position (after a socket reconnect: events of the account feed are not replayed).
   */
  async refresh(): Promise<void> {
    if (this.status === 'loading') return;
    if (this.status !== 'ready') return this.load();
    const gen = this.generation;
    try {
      const page = await this.deps.get<ConversationPage>(this.url());
      if (gen !== this.generation) return;
      this.rows = mergePage(this.rows, page.conversations ?? []);
    } catch {
      // A failed silent refresh leaves the list as it was; the next event or reload fixes it.
    }
  }

  setFilters(patch: Partial<Filters>): void {
    Object.assign(this.filters, patch);
    void this.load();
  }

  clearFilters(): void {
    this.filters = emptyFilters();
    void this.load();
  }

  /** Puts a full conversation (from a REST answer) into the list if it is shown. */
  update(c: Conversation): void {
    this.rows = upsertRow(this.rows, c, { insert: false });
  }

  find(id: string): Conversation | undefined {
    return this.rows.find((r) => r.id === id);
  }

  /** Applies one socket frame; returns true when it concerned the list. */
  applyFrame(f: Frame): boolean {
    switch (f.type) {
      case 'conversation_created':
      case 'conversation_updated': {
        const c = f.data as Partial<Conversation> & { id: string };
        if (!c || typeof c.id !== 'string') return false;
        const summary: Partial<Conversation> & { id: string } = { ...c };
        if (c.assignee_id !== undefined && c.assignee === undefined) {
          summary.assignee = c.assignee_id ? this.deps.userRef(c.assignee_id) : null;
        }
        const exists = this.rows.some((r) => r.id === c.id);
        const insert = !exists && isCompleteSummary(summary) && matchesFilters(summary as Conversation, this.filters, this.deps.meId(), this.deps.now());
        this.rows = upsertRow(this.rows, summary, { insert });
        return true;
      }
      case 'assigned': {
        // {conversation_id, assignee_id, by}: a routing offer, a transfer or a take-over.
        const d = f.data as { conversation_id?: string; assignee_id?: string } | undefined;
        const id = d?.conversation_id ?? f.conversation_id;
        if (!d || typeof id !== 'string' || typeof d.assignee_id !== 'string') return false;
        if (!this.rows.some((r) => r.id === id)) return false;
        const assignee = d.assignee_id ? this.deps.userRef(d.assignee_id) : null;
        this.rows = upsertRow(this.rows, { id, assignee_id: d.assignee_id, ...(assignee || !d.assignee_id ? { assignee } : {}) }, { insert: false });
        return true;
      }
      case 'message_created': {
        const m = f.data as Message;
        if (!m || typeof m.conversation_id !== 'string') return false;
        const cur = this.rows.find((r) => r.id === m.conversation_id);
        if (!cur) return false;
        const patch: Partial<Conversation> & { id: string } = { id: cur.id, last_seq: Math.max(cur.last_seq, m.seq || 0) };
        if (m.kind !== 'system' && m.kind !== 'note') {
          patch.last_message = m.content;
          if (m.created_at && Date.parse(m.created_at) > Date.parse(cur.last_activity_at)) patch.last_activity_at = m.created_at;
        }
        this.rows = upsertRow(this.rows, patch, { insert: false });
        return true;
      }
    }
    return false;
  }

  reset(): void {
    this.generation++;
    this.abort?.abort();
    this.rows = [];
    this.filters = emptyFilters();
    this.status = 'idle';
    this.nextCursor = '';
    this.error = '';
  }
}

function isCompleteSummary(c: Partial<Conversation>): boolean {
  return typeof c.status === 'string' && typeof c.last_activity_at === 'string' && typeof c.number === 'number';
}

function isAbort(err: unknown): boolean {
  return typeof DOMException !== 'undefined' && err instanceof DOMException && err.name === 'AbortError';
}

export const conversations = new ConversationList();
