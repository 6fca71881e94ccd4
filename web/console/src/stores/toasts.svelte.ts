// Short-lived messages about outcomes ("Conversation closed.") and live events.

export type ToastKind = 'success' | 'error' | 'info';

export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
  detail?: string;
  action?: ToastAction;
}

const DURATION: Record<ToastKind, number> = { success: 4000, info: 6000, error: 8000 };

export class ToastStore {
  items = $state<Toast[]>([]);
  private next = 1;
  private timers = new Map<number, ReturnType<typeof setTimeout>>();

  show(kind: ToastKind, text: string, opts: { detail?: string; action?: ToastAction; duration?: number } = {}): number {
    const id = this.next++;
    this.items = [...this.items.slice(-2), { id, kind, text, detail: opts.detail, action: opts.action }];
    const ms = opts.duration ?? (opts.action ? 15000 : DURATION[kind]);
    this.timers.set(id, setTimeout(() => this.dismiss(id), ms));
    return id;
  }

  success(text: string, detail?: string) {
    return this.show('success', text, { detail });
  }

  error(text: string, detail?: string) {
    return this.show('error', text, { detail });
  }

  info(text: string, opts: { detail?: string; action?: ToastAction } = {}) {
    return this.show('info', text, opts);
  }

  dismiss(id: number): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
    this.items = this.items.filter((x) => x.id !== id);
  }
}

export const toasts = new ToastStore();
