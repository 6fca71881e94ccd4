// The composer's rules (A5, A8) as pure functions, so the keyboard behaviour is tested
// without a browser: which key does what, when Send is allowed, and the @ and / pickers.
import type { Status } from './types';

export type ComposerMode = 'reply' | 'note';

export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  isComposing?: boolean;
}

export type KeyAction =
  | 'send'
  | 'toggle-note'
  | 'open-canned'
  | 'picker-next'
  | 'picker-prev'
  | 'picker-pick'
  | 'picker-close'
  | null;

/** What a key pressed in the composer's textarea does. null: let the textarea have it. */
export function keyAction(e: KeyLike, pickerOpen: boolean): KeyAction {
  if (e.isComposing) return null;
  const mod = e.ctrlKey || e.metaKey;
  if (pickerOpen && !mod) {
    if (e.key === 'ArrowDown') return 'picker-next';
    if (e.key === 'ArrowUp') return 'picker-prev';
    if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') return 'picker-pick';
    if (e.key === 'Escape') return 'picker-close';
  }
  if (e.key === 'Enter') {
    if (mod) return 'send'; // Ctrl+Enter
    if (e.shiftKey || e.altKey) return null; // Shift+Enter: newline
    return 'send';
  }
  if ((mod || e.altKey) && !e.shiftKey && (e.key === 'n' || e.key === 'N')) return 'toggle-note';
  if (mod && e.key === '/') return 'open-canned';
  return null;
}

/**
 * Whether the agent may reply (H4): only in human, and only the assignee — a teammate takes
 * the conversation over first (the server refuses others with 409). Notes are always
 * allowed (H5). Without `me` (or with no assignee) the status alone decides.
 */
export function canReply(status: Status | undefined, assigneeId?: string | null, me?: string): boolean {
  if (status !== 'human') return false;
  return !assigneeId || !me || assigneeId === me;
}

export function canSend(s: {
  text: string;
  sending: boolean;
  mode: ComposerMode;
  status: Status | undefined;
  hasFile?: boolean;
  assigneeId?: string | null;
  me?: string;
}): boolean {
  if (s.sending) return false;
  if (s.text.trim() === '' && !s.hasFile) return false;
  return s.mode === 'note' || canReply(s.status, s.assigneeId, s.me);
}

/**
 * The search text of a canned picker opened with Ctrl+/ at `anchor`: what was typed from
 * there to the caret. null when the caret left that word (moved before it, or past a space).
 */
export function anchoredQuery(text: string, anchor: number, caret: number): string | null {
  if (caret < anchor || anchor > text.length) return null;
  const q = text.slice(anchor, caret);
  if (/\s/.test(q) || q.length > 40) return null;
  return q.replace(/^\//, '');
}

export interface Trigger {
  kind: 'mention' | 'canned';
  /** Index of the @ or / character. */
  start: number;
  /** What was typed after it, up to the caret. */
  query: string;
}

/**
 * Finds an open picker trigger before the caret: `@name` (in notes only: mentions notify
 * teammates, M7) after a space or at the start, and `/shortcut` at the start of a line.
 */
export function detectTrigger(text: string, caret: number, mode: ComposerMode): Trigger | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)([@/])([^\s@/]{0,40})$/.exec(before);
  if (!m) return null;
  const sign = m[2]!;
  const start = before.length - m[3]!.length - 1;
  if (sign === '@') {
    if (mode !== 'note') return null;
    return { kind: 'mention', start, query: m[3]! };
  }
  const lineStart = start === 0 || before[start - 1] === '\n';
  if (!lineStart) return null;
  return { kind: 'canned', start, query: m[3]! };
}

/** Replaces the trigger text with the chosen insertion; returns the new text and caret. */
export function applyPick(text: string, t: Trigger, caret: number, insert: string): { text: string; caret: number } {
  const head = text.slice(0, t.start);
  let tail = text.slice(caret);
  let ins = insert;
  if (t.kind === 'mention') {
    ins = '@' + insert;
    if (!tail.startsWith(' ')) ins += ' ';
  }
  if (t.kind === 'canned' && tail.startsWith(' ')) tail = tail.slice(1);
  return { text: head + ins + tail, caret: head.length + ins.length };
}

/** Wraps the picker's highlighted index around the list. */
export function cycle(index: number, delta: number, length: number): number {
  if (length <= 0) return 0;
  return (((index + delta) % length) + length) % length;
}

// The server's mention pattern (internal/store notifications.go): "@" after the start or a
// character that is not a word character, "@" or "."; then a first name, an email or its
// local part. An email address in the text ("ann@example.com") is not a mention.
const MENTION = /(?:^|[^\w@.])@([\p{L}\p{N}._%+-]+(?:@[\p{L}\p{N}.-]+\.\p{L}{2,})?)/gu;

/** The @mentions in a text, as the server finds them in an internal note (without the "@"). */
export function mentionsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(MENTION)) {
    const name = (m[1] ?? '').replace(/[.,]+$/, '');
    if (name) out.push(name);
  }
  return out;
}

/**
 * Shown under a reply that mentions someone: the server notifies mentions in internal notes
 * only (M7), and a reply goes to the customer exactly as typed.
 */
export const REPLY_MENTION_HINT = 'Mentions notify teammates in internal notes; this reply goes to the customer as written.';

/** Whether the composer shows REPLY_MENTION_HINT: a reply (not a note) with an @mention. */
export function replyMentionHint(mode: ComposerMode, text: string): boolean {
  return mode === 'reply' && mentionsIn(text).length > 0;
}
