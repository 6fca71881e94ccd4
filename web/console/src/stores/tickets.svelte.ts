// The Tickets page's list (T1): filters (status, priority, assignee, search), cursor pages,
// and the rows a ticket edit changes.
import { api, errorText } from '../lib/api';
import { emptyTicketFilters, ticketsUrl, type TicketFilters } from '../lib/tickets';
import type { Ticket, TicketPage } from '../lib/types';

export const TICKET_PAGE = 50;

export interface TicketListDeps {
  get: <T>(path: string, opts?: { signal?: AbortSignal }) => Promise<T>;
}

export class TicketList {
  rows = $state.raw<Ticket[]>([]);
  filters = $state<TicketFilters>(emptyTicketFilters());
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  error = $state('');
  nextCursor = $state('');
  loadingMore = $state(false);
  moreError = $state('');

  private deps: TicketListDeps;
  private generation = 0;
  private abort: AbortController | null = null;

  constructor(deps: Partial<TicketListDeps> = {}) {
    this.deps = { get: (p, o) => api.get(p, o), ...deps };
  }

  get hasMore(): boolean {
    return this.nextCursor !== '';
  }

  async load(): Promise<void> {
    const gen = ++this.generation;
    this.abort?.abort();
    const ctl = typeof AbortController === 'undefined' ? null : new AbortController();
    this.abort = ctl;
    this.status = 'loading';
    this.error = '';
    this.moreError = '';
    try {
      const page = await this.deps.get<TicketPage>(ticketsUrl(this.filters, '', TICKET_PAGE), { signal: ctl?.signal });
      if (gen !== this.generation) return;
      this.rows = page.tickets ?? [];
      this.nextCursor = page.next_cursor ?? '';
      this.status = 'ready';
    } catch (err) {
      if (gen !== this.generation || isAbort(err)) return;
      this.status = 'error';
      this.error = errorText(err, 'Could not load the tickets.');
    }
  }

  /** Re-reads the first page without a loading state (coming back to the page). */
  async refresh(): Promise<void> {
    if (this.status !== 'ready') return this.load();
    const gen = this.generation;
    try {
      const page = await this.deps.get<TicketPage>(ticketsUrl(this.filters, '', TICKET_PAGE));
      if (gen !== this.generation) return;
      this.rows = page.tickets ?? [];
      this.nextCursor = page.next_cursor ?? '';
    } catch {
      // What is shown stays; the next load reports errors.
    }
  }

  async loadMore(): Promise<void> {
    if (!this.nextCursor || this.loadingMore || this.status !== 'ready') return;
    const gen = this.generation;
    this.loadingMore = true;
    this.moreError = '';
    try {
      const page = await this.deps.get<TicketPage>(ticketsUrl(this.filters, this.nextCursor, TICKET_PAGE));
      if (gen !== this.generation) return;
      const have = new Set(this.rows.map((t) => t.id));
      this.rows = [...this.rows, ...(page.tickets ?? []).filter((t) => !have.has(t.id))];
      this.nextCursor = page.next_cursor ?? '';
    } catch (err) {
      if (gen === this.generation) this.moreError = errorText(err, 'Could not load more tickets.');
    } finally {
      if (gen === this.generation) this.loadingMore = false;
    }
  }

  setFilters(patch: Partial<TicketFilters>): void {
    Object.assign(this.filters, patch);
    void this.load();
  }

  clearFilters(): void {
    this.filters = emptyTicketFilters();
    void this.load();
  }

  /** Puts an edited ticket in place (it stays where it is until the next load). */
  update(t: Ticket): void {
    if (!this.rows.some((r) => r.id === t.id)) return;
    this.rows = this.rows.map((r) => (r.id === t.id ? t : r));
  }
}

function isAbort(err: unknown): boolean {
  return typeof DOMException !== 'undefined' && err instanceof DOMException && err.name === 'AbortError';
}

export const tickets = new TicketList();
