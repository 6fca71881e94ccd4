// The list filters (A2, A3) and how they become query parameters of
// GET /api/v1/conversations, plus the client-side check used to decide whether a
// conversation announced over the socket belongs in the filtered list.
import type { Conversation } from './types';

export type DateRange = 'all' | 'today' | '24h' | '7d' | '30d' | 'custom';
export type StatusFilter = '' | 'bot' | 'waiting' | 'human' | 'pending' | 'offline' | 'resolved' | 'closed' | 'abandoned';
export type Activity = '' | 'low' | 'medium' | 'high';

export interface Filters {
  q: string;
  range: DateRange;
  from: string; // yyyy-mm-dd (custom range)
  to: string;
  status: StatusFilter;
  channel: string;
  assignee: string; // '' anyone, 'me', 'none', or a user id
  priority: string;
  tag: string;
  label: string;
  /** A queue id, or ''. */
  queue: string;
  activity: Activity;
}

export function emptyFilters(): Filters {
  return { q: '', range: 'all', from: '', to: '', status: '', channel: '', assignee: '', priority: '', tag: '', label: '', queue: '', activity: '' };
}

export const DATE_RANGES: { value: DateRange; label: string }[] = [
  { value: 'all', label: 'All time' },
  { value: 'today', label: 'Today' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: 'custom', label: 'Custom' },
];

/**
 * The status filter: the Conversations page's four handoff states first, in its words
 * (reference 001: All, AI-Handling, Escalated, Agent Active), then Baton's other statuses.
 * Each value is the API's `status` query parameter (pending: human, waiting for the visitor).
 */
export const STATUS_FILTERS: { value: StatusFilter; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'bot', label: 'AI-Handling' },
  { value: 'waiting', label: 'Escalated' },
  { value: 'human', label: 'Agent Active' },
  { value: 'pending', label: 'Pending' },
  { value: 'offline', label: 'Awaiting Offline Info' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'closed', label: 'Closed' },
  { value: 'abandoned', label: 'Abandoned' },
];

export const ACTIVITY_FILTERS: { value: Activity; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'low', label: 'Low (under 5 turns)' },
  { value: 'medium', label: 'Medium (5–10 turns)' },
  { value: 'high', label: 'High (over 10 turns)' },
];

/** Local midnight of a yyyy-mm-dd date, as an RFC 3339 time. */
function dayStart(d: string): string {
  const [y, m, day] = d.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, day ?? 1, 0, 0, 0, 0).toISOString();
}

/** The last instant of a yyyy-mm-dd date (local), so "to" includes that whole day. */
function dayEnd(d: string): string {
  const [y, m, day] = d.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, day ?? 1, 23, 59, 59, 999).toISOString();
}

export function filterParams(f: Filters): Record<string, string> {
  const p: Record<string, string> = {};
  const q = f.q.trim();
  if (q) p.q = q;
  if (f.range === 'custom') {
    if (f.from) p.from = dayStart(f.from);
    if (f.to) p.to = dayEnd(f.to);
  } else if (f.range !== 'all') {
    p.range = f.range;
  }
  if (f.status) p.status = f.status;
  if (f.channel) p.channel = f.channel;
  if (f.assignee) p.assignee = f.assignee;
  if (f.priority) p.priority = f.priority;
  if (f.tag.trim()) p.tag = f.tag.trim();
  if (f.label) p.label = f.label;
  if (f.queue) p.queue = f.queue;
  if (f.activity) p.activity = f.activity;
  return p;
}

/** How many filters (besides the search text) differ from the defaults. */
export function activeFilterCount(f: Filters): number {
  let n = 0;
  if (f.range !== 'all') n++;
  for (const k of ['status', 'channel', 'assignee', 'priority', 'label', 'queue', 'activity'] as const) if (f[k]) n++;
  if (f.tag.trim()) n++;
  return n;
}

export function isFiltered(f: Filters): boolean {
  return activeFilterCount(f) > 0 || f.q.trim() !== '';
}

function activityOf(turns: number): Activity {
  if (turns < 5) return 'low';
  if (turns <= 10) return 'medium';
  return 'high';
}

/**
 * Whether a conversation announced live belongs in the list under these filters. It answers
 * false when it cannot tell (a search text, a date window it cannot check), so the list
 * never shows a row the server would not have returned; a re-read fixes omissions.
 */
export function matchesFilters(c: Conversation, f: Filters, meId: string, now: number): boolean {
  if (f.q.trim()) return false;
  if (f.status) {
    if (f.status === 'pending') {
      if (c.status !== 'human' || !c.pending) return false;
    } else if (c.status !== f.status) return false;
  }
  if (f.channel && c.channel !== f.channel) return false;
  if (f.assignee) {
    const a = c.assignee?.id ?? c.assignee_id ?? '';
    if (f.assignee === 'none' ? a !== '' : a !== (f.assignee === 'me' ? meId : f.assignee)) return false;
  }
  if (f.priority && c.priority !== f.priority) return false;
  if (f.tag.trim() && !(c.tags ?? []).includes(f.tag.trim())) return false;
  if (f.label && !(c.labels ?? []).includes(f.label)) return false;
  if (f.queue && c.queue_id !== f.queue) return false;
  if (f.activity && activityOf(c.turns) !== f.activity) return false;
  if (f.range === 'custom') {
    const t = Date.parse(c.last_activity_at);
    if (f.from && t < Date.parse(dayStart(f.from))) return false;
    if (f.to && t > Date.parse(dayEnd(f.to))) return false;
  } else if (f.range !== 'all') {
    const t = Date.parse(c.last_activity_at);
    const span = { today: 0, '24h': 864e5, '7d': 7 * 864e5, '30d': 30 * 864e5 }[f.range];
    const from = f.range === 'today' ? Math.floor(now / 864e5) * 864e5 : now - span;
    if (t < from) return false;
  }
  return true;
}
