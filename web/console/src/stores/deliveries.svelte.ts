// A delivery log (a webhook subscription's, or the handover and message webhooks'): newest
// first, in cursor pages, read again while a delivery is still pending (bounded).
import { api, errorText, query } from '../lib/api';
import { isUnfinished } from '../lib/webhooks';
import type { DeliveryPage, WebhookDelivery } from '../lib/types';

export const LOG_PAGE = 20;
export const LOG_POLL_MS = 2000;
export const LOG_MAX_POLLS = 20;

export interface DeliveryLogDeps {
  get: <T>(path: string) => Promise<T>;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (t: unknown) => void;
}

export class DeliveryLog {
  rows = $state.raw<WebhookDelivery[]>([]);
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  error = $state('');
  nextCursor = $state('');
  loadingMore = $state(false);
  moreError = $state('');

  private deps: DeliveryLogDeps;
  private generation = 0;
  private polls = 0;
  private timer: unknown = null;

  readonly path: string;

  constructor(path: string, deps: Partial<DeliveryLogDeps> = {}) {
    this.path = path;
    this.deps = {
      get: (p) => api.get(p),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      ...deps,
    };
  }

  get hasMore(): boolean {
    return this.nextCursor !== '';
  }

  /** Reads the first page (again); `watch` polls while a delivery is unfinished. */
  async load(watch = false): Promise<void> {
    const gen = ++this.generation;
    this.stop();
    if (watch) this.polls = 0;
    if (this.status !== 'ready') this.status = 'loading';
    this.moreError = '';
    try {
      const page = await this.deps.get<DeliveryPage>(this.path + query({ limit: LOG_PAGE }));
      if (gen !== this.generation) return;
      this.rows = page.deliveries ?? [];
      this.nextCursor = page.next_cursor ?? '';
      this.status = 'ready';
      this.error = '';
      this.schedule(gen);
    } catch (err) {
      if (gen !== this.generation) return;
      this.status = 'error';
      this.error = errorText(err, 'Could not load the delivery log.');
    }
  }

  private schedule(gen: number): void {
    if (!this.rows.some(isUnfinished) || this.polls >= LOG_MAX_POLLS) return;
    this.polls++;
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      if (gen === this.generation) void this.load();
    }, LOG_POLL_MS);
  }

  async loadMore(): Promise<void> {
    if (!this.hasMore || this.loadingMore || this.status !== 'ready') return;
    const gen = this.generation;
    this.loadingMore = true;
    this.moreError = '';
    try {
      const page = await this.deps.get<DeliveryPage>(this.path + query({ limit: LOG_PAGE, cursor: this.nextCursor }));
      if (gen !== this.generation) return;
      const seen = new Set(this.rows.map((r) => r.id));
      this.rows = [...this.rows, ...(page.deliveries ?? []).filter((d) => !seen.has(d.id))];
      this.nextCursor = page.next_cursor ?? '';
    } catch (err) {
      if (gen === this.generation) this.moreError = errorText(err, 'Could not load older deliveries.');
    } finally {
      if (gen === this.generation) this.loadingMore = false;
    }
  }

  private stop(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stop();
    this.generation++;
  }
}
