// What survives a page reload (W2): the visitor session and, per conversation, the last
// seq received and the last seq the visitor has seen. One localStorage key per chatbot.

export interface Saved {
  session_id: string;
  token: string;
  conversation_id: string;
  /** The user id the session was opened for (data-user-id), to notice a change of user. */
  user_id?: string;
  /** Last seq received, per conversation. */
  seqs: Record<string, number>;
  /** Last seq the visitor has seen with the panel open, per conversation. */
  read: Record<string, number>;
  /** Conversations whose offline form was sent. */
  offline: Record<string, boolean>;
}

/** The subset of the Web Storage API the widget needs (tests pass a Map-backed one). */
export interface KV {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const KEEP_CONVERSATIONS = 5;

export class SessionStore {
  readonly key: string;
  private memory: string | null = null;

  constructor(
    chatbot: string,
    private readonly kv: KV | null = defaultKV(),
  ) {
    this.key = 'baton:' + chatbot;
  }

  load(): Saved | null {
    let raw: string | null;
    try {
      raw = this.kv ? this.kv.getItem(this.key) : this.memory;
    } catch {
      raw = this.memory;
    }
    if (!raw) return null;
    try {
      const v = JSON.parse(raw) as Partial<Saved>;
      if (typeof v.token !== 'string' || !v.token || typeof v.conversation_id !== 'string') return null;
      return {
        session_id: String(v.session_id ?? ''),
        token: v.token,
        conversation_id: v.conversation_id,
        user_id: typeof v.user_id === 'string' ? v.user_id : undefined,
        seqs: numbers(v.seqs),
        read: numbers(v.read),
        offline: v.offline && typeof v.offline === 'object' ? { ...v.offline } : {},
      };
    } catch {
      return null;
    }
  }

  save(s: Saved): void {
    const raw = JSON.stringify(prune(s));
    this.memory = raw;
    try {
      this.kv?.setItem(this.key, raw);
    } catch {
      // Private mode or a full quota: the in-memory copy still serves this page.
    }
  }

  clear(): void {
    this.memory = null;
    try {
      this.kv?.removeItem(this.key);
    } catch {
      // Nothing to do.
    }
  }
}

function defaultKV(): KV | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // Access denied (sandboxed iframe, blocked cookies).
  }
}

function numbers(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (v && typeof v === 'object') {
    for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
      if (typeof n === 'number' && Number.isFinite(n) && n >= 0) out[k] = n;
    }
  }
  return out;
}

/** Keeps the per-conversation maps from growing without bound: the current conversation
 * and the few most recent others stay. */
function prune(s: Saved): Saved {
  const keep = new Set([s.conversation_id, ...Object.keys(s.seqs).slice(-KEEP_CONVERSATIONS)]);
  const pick = <T>(m: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(m).filter(([k]) => keep.has(k)));
  return { ...s, seqs: pick(s.seqs), read: pick(s.read), offline: pick(s.offline) };
}
