import type { Conversation, Status, User, UserRef } from './types';

/**
 * Status names in the list and the thread header: the Conversations page's words (reference
 * 001: AI-Handling, Escalated, Agent Active), the same as the status filter's options.
 */
export const STATUS_LABELS: Record<Status, string> = {
  bot: 'AI-Handling',
  waiting: 'Escalated',
  human: 'Agent Active',
  offline: 'Awaiting Offline Info',
  resolved: 'Resolved',
  closed: 'Closed',
  abandoned: 'Abandoned',
};

/**
 * Status names in the Details panel: the Live Chat Panel's words (reference 004: Active (AI),
 * Waiting for Human, Active (Human), Awaiting Offline Info, Closed); Baton's two extra ended
 * statuses keep their own names.
 */
export const DETAILS_STATUS_LABELS: Record<Status, string> = {
  bot: 'Active (AI)',
  waiting: 'Waiting for Human',
  human: 'Active (Human)',
  offline: 'Awaiting Offline Info',
  resolved: 'Resolved',
  closed: 'Closed',
  abandoned: 'Abandoned',
};

export function statusLabel(c: Pick<Conversation, 'status' | 'pending'>): string {
  if (c.status === 'human' && c.pending) return 'Pending';
  return STATUS_LABELS[c.status] ?? c.status;
}

/** The Details panel's status name (004); a pending human conversation is still Active (Human). */
export function detailsStatusLabel(c: Pick<Conversation, 'status'>): string {
  return DETAILS_STATUS_LABELS[c.status] ?? c.status;
}

/** Which of the handoff buttons (Join, Accept, Release, End Conversation) a status allows. */
export interface HandoffControls {
  join: boolean;
  accept: boolean;
  release: boolean;
  end: boolean;
}

/**
 * The handoff buttons a status allows, the same for the thread header and the Details panel:
 * Join a conversation the AI handles; Accept one waiting for a human (or offline); Release
 * (Return to AI) and End Conversation one an agent holds.
 */
export function handoffControls(s: Status): HandoffControls {
  return { join: s === 'bot', accept: s === 'waiting' || s === 'offline', release: s === 'human', end: s === 'human' };
}

export const CHANNEL_LABELS: Record<string, string> = {
  web: 'Web widget',
  telegram: 'Telegram',
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  email: 'Email',
};

export function channelLabel(ch: string): string {
  return CHANNEL_LABELS[ch] ?? ch;
}

export const PRIORITY_LABELS: Record<string, string> = {
  '': 'None',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  urgent: 'Urgent',
};

/** The name a conversation goes by: its contact's name, else "Visitor #<number>". */
export function contactName(c: Pick<Conversation, 'number' | 'contact'>): string {
  const n = c.contact?.name?.trim();
  return n ? n : `Visitor #${c.number}`;
}

export function userName(u: Pick<User, 'first_name' | 'last_name' | 'email'>): string {
  const n = [u.first_name, u.last_name].filter(Boolean).join(' ').trim();
  return n || u.email;
}

export function refName(u: UserRef | null | undefined): string {
  if (!u) return '';
  return u.name || u.email;
}

/** The handle inserted by the @ picker: the first name, else the email's local part. */
export function mentionHandle(u: Pick<User, 'first_name' | 'email'>): string {
  const first = u.first_name.trim().split(/\s+/)[0];
  if (first) return first;
  return u.email.split('@')[0] ?? u.email;
}

/** A short relative time: "now", "5m", "3h", "2d", then a date. */
export function relativeTime(iso: string | undefined | null, now: number): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h}h`;
  const d = Math.round(h / 24);
  if (d < 7) return `${d}d`;
  const date = new Date(t);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(undefined, sameYear ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' });
}

export function dateTime(iso: string | undefined | null): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function clockTime(iso: string | undefined | null): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Whether the statuses in which the conversation has ended. */
export function isEnded(s: Status): boolean {
  return s === 'resolved' || s === 'closed' || s === 'abandoned';
}
