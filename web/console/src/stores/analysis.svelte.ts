// A conversation's post-chat analysis (SPEC P1) for the sidebar's Analysis tab: read it
// when the tab opens, ask for one ("Analyse now"), and take the agent socket's
// analysis_updated frames (docs/protocol.md) when its job has stored it or given up.
//
// There is no polling. The frame is a team event of the conversation's stream, so one
// missed while the socket was down comes back with the open conversation's `subscribe`
// replay; on a reconnect a still-pending analysis is also read once (resume), for a thread
// that was not ready to resubscribe. A pending analysis with no news for STALL_MS is read
// once more — a frame lost between nodes is only replayed when a later event of the
// conversation comes — and, still pending, shown as stalled with a Refresh button.
import { api, ApiError, errorText } from '../lib/api';
import type { Analysis, Frame } from '../lib/types';

/** How long a pending analysis may go without news before it is checked once and shown as stalled. */
export const STALL_MS = 90_000;

export interface AnalysisDeps {
  get: <T>(path: string) => Promise<T>;
  post: <T>(path: string) => Promise<T>;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (t: unknown) => void;
}

export type AnalysisState = 'idle' | 'loading' | 'none' | 'ready' | 'error';

/**
 * Whether next (the server's word at some moment: a read, a request's answer, a frame)
 * may replace shown. A later request wins; for the same request its outcome (done,
 * failed) wins over its pending state, never the reverse — so a read answered just before
 * the frame, or a replayed frame of an earlier run, cannot take the tab back.
 */
export function supersedes(shown: Analysis | null, next: Analysis): boolean {
  if (!shown) return true;
  const a = Date.parse(shown.requested_at);
  const b = Date.parse(next.requested_at);
  if (Number.isFinite(a) && Number.isFinite(b) && a !== b) return b > a;
  return !(next.status === 'pending' && shown.status !== 'pending');
}

function isAnalysis(v: unknown): v is Analysis {
  const a = v as Partial<Analysis> | null;
  return !!a && typeof a === 'object' && typeof a.conversation_id === 'string' && typeof a.status === 'string' && typeof a.requested_at === 'string';
}

export class AnalysisStore {
  conversationId = $state<string | null>(null);
  analysis = $state<Analysis | null>(null);
  state = $state<AnalysisState>('idle');
  error = $state('');
  requesting = $state(false);
  requestError = $state('');
  /** Still pending after STALL_MS and a check: the tab offers a Refresh button. */
  stalled = $state(false);

  private deps: AnalysisDeps;
  private generation = 0;
  private timer: unknown = null;
  /** The pending analysis the stall timer watches (its request time), '' when none. */
  private watched = '';

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

  get failed(): boolean {
    return this.analysis?.status === 'failed';
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
    this.requesting = false;
    return this.read(this.generation, false);
  }

  /** Reads it again (the Refresh button, a conversation that just closed). */
  refresh(): Promise<void> {
    if (!this.conversationId) return Promise.resolve();
    this.stop();
    if (this.state === 'error' || this.state === 'idle') this.state = 'loading';
    return this.read(this.generation, true);
  }

  /** The socket reconnected: read a pending (or unreadable) analysis once. */
  resume(): Promise<void> {
    if (!this.conversationId || !(this.pending || this.state === 'error')) return Promise.resolve();
    return this.refresh();
  }

  /** Takes an analysis_updated frame of the conversation shown; true when it changed the tab. */
  applyFrame(f: Frame): boolean {
    if (f.type !== 'analysis_updated' || !this.conversationId || !isAnalysis(f.data)) return false;
    const a = f.data;
    if ((f.conversation_id || a.conversation_id) !== this.conversationId || a.conversation_id !== this.conversationId) return false;
    return this.accept(a);
  }

  private accept(a: Analysis): boolean {
    if (!supersedes(this.analysis, a)) return false;
    this.analysis = a;
    this.state = 'ready';
    this.error = '';
    this.watch();
    return true;
  }

  /** Arms the stall timer for a pending analysis not watched yet; clears it otherwise. */
  private watch(): void {
    const a = this.analysis;
    if (a?.status !== 'pending') {
      this.stop();
      this.stalled = false;
      return;
    }
    if (this.watched === a.requested_at && (this.timer !== null || this.stalled)) return;
    this.stop();
    this.stalled = false;
    this.watched = a.requested_at;
    const gen = this.generation;
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      if (gen !== this.generation) return;
      this.stalled = true;
      void this.read(gen, true);
    }, STALL_MS);
  }

  private async read(gen: number, quiet: boolean): Promise<void> {
    try {
      const a = await this.deps.get<Analysis>(this.path);
      if (gen !== this.generation) return;
      if (!this.accept(a) && this.state !== 'ready') this.state = 'ready';
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof ApiError && err.status === 404) {
        // A frame may have brought it while the read was on its way.
        if (this.analysis) return;
        this.state = 'none';
        return;
      }
      // A failed re-read keeps what is shown; a failed first read is an error state.
      if (quiet && this.analysis) {
        this.error = errorText(err, 'Could not refresh the analysis.');
        this.stalled = this.pending;
        return;
      }
      this.state = 'error';
      this.error = errorText(err, 'Could not load the analysis.');
    }
  }

  /** "Analyse now": queues the job; its frame brings the result. */
  async request(): Promise<boolean> {
    if (!this.conversationId || this.requesting) return false;
    const gen = this.generation;
    this.requesting = true;
    this.requestError = '';
    try {
      const a = await this.deps.post<Analysis>(this.path);
      if (gen !== this.generation) return false;
      if (a) this.accept(a);
      else await this.read(gen, true);
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
    this.watched = '';
  }

  /** Forgets the conversation (the tab closed): later answers and frames are ignored. */
  close(): void {
    this.stop();
    this.generation++;
    this.conversationId = null;
    this.requesting = false;
    this.stalled = false;
  }
}

/** The Analysis tab's store: frames reach it from live.svelte.ts. */
export const analysis = new AnalysisStore();
