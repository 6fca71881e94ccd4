// A conversation's post-chat analysis (SPEC P1) for the sidebar's Analysis tab: read it,
// ask for one ("Analyse now"), and poll while its job is pending — a bounded number of
// times, since no socket frame announces the result (docs/protocol.md has none).
import { api, ApiError, errorText } from '../lib/api';
import type { Analysis } from '../lib/types';

/** How often a pending analysis is read again, and how many times before giving up. */
export const POLL_MS = 2000;
export const MAX_POLLS = 45;

export interface AnalysisDeps {
  get: <T>(path: string) => Promise<T>;
  post: <T>(path: string) => Promise<T>;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (t: unknown) => void;
}

export type AnalysisState = 'idle' | 'loading' | 'none' | 'ready' | 'error';

export class AnalysisStore {
  conversationId = $state<string | null>(null);
  analysis = $state<Analysis | null>(null);
  state = $state<AnalysisState>('idle');
  error = $state('');
  requesting = $state(false);
  requestError = $state('');
  /** Still pending after MAX_POLLS reads: the tab offers a Refresh button instead. */
  stalled = $state(false);

  private deps: AnalysisDeps;
  private generation = 0;
  private polls = 0;
  private timer: unknown = null;

  constructor(deps: Partial<AnalysisDeps> = {}) {
    this.deps = {
      get: (p) => api.get(p),
      post: (p) => api.post(p),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      ...deps,
    };
  }

  get pending(): boolean {
    return this.analysis?.status === 'pending';
  }

  private get path(): string {
    return `/api/v1/conversations/${encodeURIComponent(this.conversationId ?? '')}/analysis`;
  }

  /** Shows the analysis of a conversation (from scratch). */
  open(id: string): Promise<void> {
    this.stop();
    this.generation++;
    this.conversationId = id;
    this.analysis = null;
    this.state = 'loading';
    this.error = '';
    this.requestError = '';
    this.stalled = false;
    this.polls = 0;
    return this.read(this.generation, false);
  }

  /** Reads it again (the Refresh button, a conversation that just closed). */
  refresh(): Promise<void> {
    if (!this.conversationId) return Promise.resolve();
    this.stop();
    this.polls = 0;
    this.stalled = false;
    if (this.state === 'error' || this.state === 'idle') this.state = 'loading';
    return this.read(this.generation, true);
  }

  private async read(gen: number, quiet: boolean): Promise<void> {
    try {
      const a = await this.deps.get<Analysis>(this.path);
      if (gen !== this.generation) return;
      this.analysis = a;
      this.state = 'ready';
      this.error = '';
      this.schedule(gen);
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof ApiError && err.status === 404) {
        this.analysis = null;
        this.state = 'none';
        return;
      }
      // A failed poll keeps what is shown; a failed first read is an error state.
      if (quiet && this.analysis) {
        this.error = errorText(err, 'Could not refresh the analysis.');
        this.stalled = true;
        return;
      }
      this.state = 'error';
      this.error = errorText(err, 'Could not load the analysis.');
    }
  }

  private schedule(gen: number): void {
    if (!this.pending) return;
    if (this.polls >= MAX_POLLS) {
      this.stalled = true;
      return;
    }
    this.polls++;
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      if (gen === this.generation) void this.read(gen, true);
    }, POLL_MS);
  }

  /** "Analyse now": queues the job and polls for its result. */
  async request(): Promise<boolean> {
    if (!this.conversationId || this.requesting) return false;
    const gen = this.generation;
    this.requesting = true;
    this.requestError = '';
    try {
      const a = await this.deps.post<Analysis>(this.path);
      if (gen !== this.generation) return false;
      this.stop();
      this.polls = 0;
      this.stalled = false;
      this.analysis = a ?? null;
      this.state = 'ready';
      this.error = '';
      if (!a) await this.read(gen, true);
      else this.schedule(gen);
      return true;
    } catch (err) {
      if (gen === this.generation) this.requestError = errorText(err, 'Could not start the analysis.');
      return false;
    } finally {
      if (gen === this.generation) this.requesting = false;
    }
  }

  private stop(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
  }

  /** Stops polling (the tab closed). */
  close(): void {
    this.stop();
    this.generation++;
    this.requesting = false;
  }
}
