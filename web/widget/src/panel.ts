// The panel's state machine: open or closed, loading, the server-unreachable banner, and
// the offline form. A pure reducer; the widget feeds it events and the view draws it.
import type { Status } from './types';

export type Phase =
  /** No session yet: the greeting (or the empty state) and the composer. */
  | 'idle'
  /** The history is loading for the first time. */
  | 'loading'
  /** The history is shown. */
  | 'ready';

export type OfflineForm = 'hidden' | 'form' | 'sending' | 'sent';

export interface PanelState {
  open: boolean;
  phase: Phase;
  /** Text of the "server unreachable" banner, or null. */
  banner: string | null;
  offline: OfflineForm;
  offlineError: string | null;
}

export type PanelEvent =
  | { type: 'open' }
  | { type: 'close' }
  | { type: 'toggle' }
  | { type: 'load' }
  | { type: 'loaded' }
  | { type: 'unreachable'; message: string }
  | { type: 'reachable' }
  | { type: 'status'; status: Status; offlineSent?: boolean }
  | { type: 'conversation' }
  | { type: 'offline_submit' }
  | { type: 'offline_sent' }
  | { type: 'offline_failed'; message: string }
  | { type: 'reset' };

export const initialPanel: PanelState = { open: false, phase: 'idle', banner: null, offline: 'hidden', offlineError: null };

export function panelReducer(s: PanelState, e: PanelEvent): PanelState {
  switch (e.type) {
    case 'open':
      return s.open ? s : { ...s, open: true };
    case 'close':
      return s.open ? { ...s, open: false } : s;
    case 'toggle':
      return { ...s, open: !s.open };
    case 'load':
      // A catch-up while the history is shown keeps it on screen.
      return s.phase === 'ready' ? s : { ...s, phase: 'loading' };
    case 'loaded':
      return { ...s, phase: 'ready', banner: null };
    case 'unreachable':
      return { ...s, banner: e.message };
    case 'reachable':
      return s.banner === null ? s : { ...s, banner: null };
    case 'status':
      if (e.status === 'offline') {
        if (e.offlineSent) return { ...s, offline: 'sent', offlineError: null };
        return s.offline === 'hidden' ? { ...s, offline: 'form', offlineError: null } : s;
      }
      return s.offline === 'hidden' ? s : { ...s, offline: 'hidden', offlineError: null };
    case 'conversation':
      return { ...s, offline: 'hidden', offlineError: null };
    case 'offline_submit':
      return s.offline === 'form' ? { ...s, offline: 'sending', offlineError: null } : s;
    case 'offline_sent':
      return { ...s, offline: 'sent', offlineError: null };
    case 'offline_failed':
      return { ...s, offline: 'form', offlineError: e.message };
    case 'reset':
      return { ...initialPanel, open: s.open };
  }
}

/** The line under the chatbot's name in the header. */
export function statusLine(status: Status, agentName: string | null): string {
  switch (status) {
    case 'waiting':
      return 'Waiting for an agent…';
    case 'human':
      return agentName ? `${agentName} is here` : 'An agent is here';
    case 'offline':
      return 'No agent online — leave us a message';
    case 'resolved':
    case 'closed':
    case 'abandoned':
      return 'Conversation ended';
    default:
      return 'The assistant answers instantly';
  }
}
