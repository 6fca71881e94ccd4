// The reply window of the open conversation on WhatsApp or Messenger (C3, C4): whether free
// text may be sent now (GET /api/v1/conversations/{id}/window). It is read when the
// conversation opens, again when the visitor writes (the window reopens), when it is due to
// close, and when a reply is refused with 409 window_closed.
import { api, errorText } from '../lib/api';
import { hasWindow } from '../lib/templates';
import type { ChannelWindow, Frame, Message } from '../lib/types';

export interface WindowDeps {
  get: <T>(path: string) => Promise<T>;
  now: () => number;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (t: unknown) => void;
}

/** The longest a timer may wait (setTimeout's limit is about 24.8 days). */
const MAX_WAIT = 2 ** 31 - 1;

export class ChannelWindowStore {
  conversationId = $state<string | null>(null);
  channel = $state('');
  window = $state<ChannelWindow | null>(null);
  status = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  error = $state('');
  /** The server's words when a reply was just refused because the window closed. */
  refusal = $state('');

  private deps: WindowDeps;
  private generation = 0;
  private timer: unknown = null;

  constructor(deps: Partial<WindowDeps> = {}) {
    this.deps = {
      get: (p) => api.get(p),
      now: Date.now,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      ...deps,
    };
  }

  /** Follows a conversation (the composer calls it when it opens one). */
  watch(c: { id: string; channel: string }): void {
    if (this.conversationId === c.id && this.channel === c.channel) {
      // Opened again: read it again, showing what is known meanwhile.
      if (hasWindow(c.channel)) void this.load();
      return;
    }
    this.reset();
    this.conversationId = c.id;
    this.channel = c.channel;
    if (hasWindow(c.channel)) void this.load();
  }

  /** The window of conversation id, when it is the one followed (null: no window applies). */
  forConversation(id: string): ChannelWindow | null {
    return this.conversationId === id ? this.window : null;
  }

  async load(): Promise<void> {
    const id = this.conversationId;
    if (!id || !hasWindow(this.channel)) return;
    const gen = ++this.generation;
    this.stopTimer();
    if (this.status !== 'ready') this.status = 'loading';
    try {
      const w = await this.deps.get<ChannelWindow>(`/api/v1/conversations/${encodeURIComponent(id)}/window`);
      if (gen !== this.generation) return;
      this.window = w;
      this.status = 'ready';
      this.error = '';
      if (w.open) this.refusal = '';
      this.scheduleClose(gen);
    } catch (err) {
      if (gen !== this.generation) return;
      this.status = 'error';
      this.error = errorText(err, 'Could not check the reply window.');
    }
  }

  /** A reply was refused with 409 window_closed: switch to the closed mode at once, then re-read. */
  refuse(id: string, message: string): void {
    if (id !== this.conversationId) return;
    this.refusal = message;
    this.window = {
      channel: this.channel,
      open: false,
      closes_at: null,
      template_required: this.channel === 'whatsapp',
    };
    this.status = 'ready';
    void this.load();
  }

  /** A visitor message reopens the window: read it again. */
  applyFrame(f: Frame): void {
    if (f.type !== 'message_created' || !this.conversationId || !hasWindow(this.channel)) return;
    const m = f.data as Message | undefined;
    const conv = f.conversation_id || m?.conversation_id;
    if (conv !== this.conversationId || m?.kind !== 'visitor') return;
    void this.load();
  }

  private scheduleClose(gen: number): void {
    const at = this.window?.open && this.window.closes_at ? Date.parse(this.window.closes_at) : NaN;
    if (!Number.isFinite(at)) return;
    const wait = Math.min(MAX_WAIT, Math.max(0, at - this.deps.now()) + 1000);
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      if (gen === this.generation) void this.load();
    }, wait);
  }

  private stopTimer(): void {
    if (this.timer !== null) this.deps.clearTimer(this.timer);
    this.timer = null;
  }

  reset(): void {
    this.generation++;
    this.stopTimer();
    this.conversationId = null;
    this.channel = '';
    this.window = null;
    this.status = 'idle';
    this.error = '';
    this.refusal = '';
  }
}

export const channelWindow = new ChannelWindowStore();
