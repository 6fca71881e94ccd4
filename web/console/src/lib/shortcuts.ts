// Console-wide keyboard shortcuts (A8). Chrome keeps Ctrl+T and Ctrl+N for itself in a
// normal window, so Alt+T and Alt+N do the same things.
import type { KeyLike } from './composer';

export type Shortcut = 'transfer' | 'resolve' | 'note' | 'canned' | 'escape' | 'help' | null;

export const SHORTCUTS: { keys: string; action: string }[] = [
  { keys: 'Enter', action: 'Send the message' },
  { keys: 'Shift+Enter', action: 'New line' },
  { keys: 'Ctrl+Enter', action: 'Send the message' },
  { keys: 'Ctrl+/', action: 'Open canned responses' },
  { keys: 'Ctrl+T (or Alt+T)', action: 'Transfer the conversation' },
  { keys: 'Ctrl+R', action: 'Resolve the conversation' },
  { keys: 'Ctrl+N (or Alt+N)', action: 'Toggle internal note' },
  { keys: 'Esc', action: 'Close the conversation detail' },
  { keys: '?', action: 'Show these shortcuts' },
];

/** The console shortcut of a keydown, given whether the focus is in a text field. */
export function shortcutOf(e: KeyLike, inTextField: boolean): Shortcut {
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.key === 'Escape') return 'escape';
  if ((mod || e.altKey) && !e.shiftKey) {
    if (k === 't') return 'transfer';
    if (k === 'n') return 'note';
  }
  if (mod && !e.shiftKey && !e.altKey) {
    if (k === 'r') return 'resolve';
    if (k === '/') return 'canned';
  }
  if (!inTextField && !mod && !e.altKey && e.key === '?') return 'help';
  return null;
}
