// Canned responses (M6): the full list (sidebar Shortcuts tab, settings), the composer's
// search as you type (GET /api/v1/canned-responses?q=, shortcut prefix matches first,
// ordered by the server) and the rendering of one for the open conversation (variables
// filled by the server; missing ones become empty).
import { api, errorText, query } from '../lib/api';
import type { CannedResponse } from '../lib/types';

export interface CannedDeps {
  get: <T>(path: string, opts?: { signal?: AbortSignal }) => Promise<T>;
  /** Delay before a search is sent while the agent types (ms). */
  debounce: number;
}

type LoadState = 'idle' | 'loading' | 'ready' | 'error';

export class CannedStore {
  /** Every canned response of the account (sidebar, settings). */
  items = $state.raw<CannedResponse[]>([]);
  status = $state<LoadState>('idle');
  error = $state('');
  /** The picker's matches for `query`. */
  results = $state.raw<CannedResponse[]>([]);
  searchStatus = $state<LoadState>('idle');
  searchError = $state('');
  query = $state('');

  private deps: CannedDeps;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private abort: AbortController | null = null;
  private searchGen = 0;
  private loadGen = 0;

  constructor(deps: Partial<CannedDeps> = {}) {
    this.deps = { get: (p, o) => api.get(p, o), debounce: 150, ...deps };
  }

  async load(): Promise<void> {
    const gen = ++this.loadGen;
    // A reload keeps the shown list (no flash of "Loading…").
    if (this.status !== 'ready') this.status = 'loading';
    this.error = '';
    try {
      const r = await this.deps.get<{ canned_responses: CannedResponse[] }>('/api/v1/canned-responses');
      if (gen !== this.loadGen) return;
      this.items = r.canned_responses ?? [];
      this.status = 'ready';
    } catch (err) {
      if (gen !== this.loadGen) return;
      this.status = 'error';
      this.error = errorText(err, 'Could not load the canned responses.');
    }
  }

  /** Loads the list once (later calls keep what is there). */
  ensure(): void {
    if (this.status === 'idle' || this.status === 'error') void this.load();
  }

  /** Searches as the agent types: debounced, the previous request aborted. */
  search(q: string): void {
    const text = q.trim();
    if (text === this.query && this.searchStatus !== 'idle' && this.searchStatus !== 'error') return;
    this.query = text;
    if (this.timer) clearTimeout(this.timer);
    this.abort?.abort();
    if (this.searchStatus === 'idle' || this.searchStatus === 'error') this.searchStatus = 'loading';
    const gen = ++this.searchGen;
    const run = () => {
      this.timer = null;
      void this.fetchResults(text, gen);
    };
    // The first search (an empty query when the picker opens) goes at once.
    if (text === '' || this.deps.debounce <= 0) run();
    else this.timer = setTimeout(run, this.deps.debounce);
  }

  private async fetchResults(text: string, gen: number): Promise<void> {
    const ctl = typeof AbortController === 'undefined' ? null : new AbortController();
    this.abort = ctl;
    this.searchError = '';
    try {
      const r = await this.deps.get<{ canned_responses: CannedResponse[] }>('/api/v1/canned-responses' + query({ q: text }), { signal: ctl?.signal });
      if (gen !== this.searchGen) return;
      this.results = r.canned_responses ?? [];
      this.searchStatus = 'ready';
    } catch (err) {
      if (gen !== this.searchGen || isAbort(err)) return;
      this.searchStatus = 'error';
      this.searchError = errorText(err, 'Could not search the canned responses.');
    }
  }

  /** Forgets the picker's search (the picker closed). */
  endSearch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.searchGen++;
    this.query = '';
    this.searchStatus = 'idle';
  }

  /** The text of a canned response for a conversation, variables filled by the server. */
  async render(id: string, conversationId: string): Promise<string> {
    const r = await this.deps.get<{ content: string }>(
      `/api/v1/canned-responses/${encodeURIComponent(id)}/render` + query({ conversation_id: conversationId }),
    );
    return r.content ?? '';
  }

  /** After a change in settings: the list and the next search read again. */
  changed(): void {
    this.searchStatus = 'idle';
    if (this.status !== 'idle') void this.load();
  }

  reset(): void {
    this.endSearch();
    this.loadGen++;
    this.items = [];
    this.results = [];
    this.status = 'idle';
    this.error = '';
  }
}

/**
 * Whether a canned response matches the picker's text the way the server's search does
 * (shortcut prefix, or the text anywhere in shortcut, title or content); used to keep the
 * shown results true to what is typed while the next answer is on its way.
 */
export function matchesCanned(c: CannedResponse, q: string): boolean {
  const needle = q.trim().replace(/^\//, '').toLowerCase();
  if (!needle) return true;
  return c.shortcut.toLowerCase().startsWith(needle) || `${c.shortcut} ${c.title} ${c.content}`.toLowerCase().includes(needle);
}

export interface CannedGroup {
  category: string;
  items: CannedResponse[];
}

/** Canned responses by category (named ones alphabetically, then the uncategorised), each by shortcut. */
export function groupByCategory(list: CannedResponse[], filter = ''): CannedGroup[] {
  const needle = filter.trim().replace(/^\//, '').toLowerCase();
  const map = new Map<string, CannedResponse[]>();
  for (const c of list) {
    if (needle && !`${c.shortcut} ${c.title} ${c.content} ${c.category}`.toLowerCase().includes(needle)) continue;
    const k = c.category?.trim() ?? '';
    const arr = map.get(k);
    if (arr) arr.push(c);
    else map.set(k, [c]);
  }
  const keys = [...map.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
  return keys.map((k) => ({ category: k, items: map.get(k)!.slice().sort((a, b) => a.shortcut.localeCompare(b.shortcut)) }));
}

/** The variables a canned response may use (M6); contact attributes work too. */
export const CANNED_VARIABLES = ['first_name', 'last_name', 'email', 'phone', 'agent_name', 'chatbot_name'] as const;

function isAbort(err: unknown): boolean {
  return typeof DOMException !== 'undefined' && err instanceof DOMException && err.name === 'AbortError';
}

export const canned = new CannedStore();
