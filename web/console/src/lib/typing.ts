// Tells the visitor the agent is typing: at most one "typing: true" every few seconds while
// keys are pressed, and "typing: false" after a pause or when the message is sent.

export class TypingNotifier {
  private send: (typing: boolean) => void;
  private interval: number;
  private idle: number;
  private lastSent = -Infinity;
  private typing = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private now: () => number;

  constructor(send: (typing: boolean) => void, opts: { interval?: number; idle?: number; now?: () => number } = {}) {
    this.send = send;
    this.interval = opts.interval ?? 3000;
    this.idle = opts.idle ?? 4000;
    this.now = opts.now ?? Date.now;
  }

  /** Call on every input event. */
  input(): void {
    const t = this.now();
    if (!this.typing || t - this.lastSent >= this.interval) {
      this.typing = true;
      this.lastSent = t;
      this.send(true);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stop(), this.idle);
  }

  /** Call when the message is sent, the text emptied, or the conversation left. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.typing) return;
    this.typing = false;
    this.send(false);
  }
}
