// Pure merge rules for the conversation list and the thread. The stores call these; the
// tests exercise them directly.
import type { Conversation, DeliveryStatus, Message } from './types';

/** Newest activity first; ties broken by id so the order is stable. */
export function compareRows(a: Conversation, b: Conversation): number {
  const ta = Date.parse(a.last_activity_at) || 0;
  const tb = Date.parse(b.last_activity_at) || 0;
  if (ta !== tb) return tb - ta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Index at which row belongs in rows (sorted by compareRows), by binary search. */
export function insertionIndex(rows: readonly Conversation[], row: Conversation): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareRows(rows[mid]!, row) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface UpsertOptions {
  /** Insert the row when it is not in the list (else only update existing rows). */
  insert: boolean;
}

/**
 * Merges one conversation (a full REST object or a socket summary with only some fields)
 * into a sorted list and returns the new list (the input is not changed). A change older
 * than the row already held (smaller last_seq) is ignored. The row moves to its place by
 * last activity, so new activity brings it to the top.
 */
export function upsertRow(rows: readonly Conversation[], incoming: Partial<Conversation> & { id: string }, opts: UpsertOptions): Conversation[] {
  const i = rows.findIndex((r) => r.id === incoming.id);
  let merged: Conversation;
  const out = rows.slice();
  if (i >= 0) {
    const cur = rows[i]!;
    if (incoming.last_seq !== undefined && incoming.last_seq < cur.last_seq) return rows as Conversation[];
    merged = mergeConversation(cur, incoming);
    out.splice(i, 1);
  } else {
    if (!opts.insert || !isComplete(incoming)) return rows as Conversation[];
    merged = { ...incoming } as Conversation;
  }
  out.splice(insertionIndex(out, merged), 0, merged);
  return out;
}

function isComplete(c: Partial<Conversation>): c is Conversation {
  return typeof c.id === 'string' && typeof c.status === 'string' && typeof c.last_activity_at === 'string';
}

/**
 * Merges a partial conversation into a full one. A socket summary carries assignee_id but
 * not the assignee object: a changed id clears the stale object (the caller may fill it).
 */
export function mergeConversation(cur: Conversation, incoming: Partial<Conversation>): Conversation {
  const merged: Conversation = { ...cur };
  for (const [k, v] of Object.entries(incoming)) {
    if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
  }
  if (incoming.assignee === undefined && incoming.assignee_id !== undefined) {
    const curId = cur.assignee?.id ?? cur.assignee_id ?? '';
    if (incoming.assignee_id !== curId) merged.assignee = null;
    else merged.assignee = cur.assignee ?? null;
  }
  if (incoming.assignee !== undefined) merged.assignee_id = incoming.assignee?.id ?? '';
  // A socket summary names the contact ({id, name, email}); keep what the REST shape had
  // besides (session, phone, attributes) for the same contact.
  if (incoming.contact && cur.contact && incoming.contact.id === cur.contact.id) merged.contact = { ...cur.contact, ...incoming.contact };
  return merged;
}

/**
 * Merges a whole page (first page re-read, or a page of the infinite scroll): one pass and
 * one sort, so merging into ten thousand rows stays cheap.
 */
export function mergePage(rows: readonly Conversation[], page: readonly Conversation[]): Conversation[] {
  if (page.length === 0) return rows as Conversation[];
  const byId = new Map<string, Conversation>();
  for (const r of rows) byId.set(r.id, r);
  for (const c of page) {
    const cur = byId.get(c.id);
    if (!cur) byId.set(c.id, c);
    else if (c.last_seq === undefined || c.last_seq >= cur.last_seq) byId.set(c.id, mergeConversation(cur, c));
  }
  // Decorate-sort: parse each time once rather than in every comparison.
  const keyed = [...byId.values()].map((c) => ({ c, t: Date.parse(c.last_activity_at) || 0 }));
  keyed.sort((a, b) => b.t - a.t || (a.c.id < b.c.id ? 1 : a.c.id > b.c.id ? -1 : 0));
  return keyed.map((k) => k.c);
}

/** Orders messages oldest first by seq (then time), dropping duplicates by id or seq. */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  const byId = new Map<string, Message>();
  const seqs = new Map<number, string>();
  for (const m of [...existing, ...incoming]) {
    if (m.seq > 0) {
      const other = seqs.get(m.seq);
      if (other !== undefined && other !== m.id) continue; // the same event under another id
      seqs.set(m.seq, m.id);
    }
    const prev = byId.get(m.id);
    // A later copy (a delivery update) replaces an earlier one, but a delivery status never
    // moves backwards (a page read before a message_updated frame arrives after it).
    byId.set(m.id, prev ? mergeMessage(prev, m) : m);
  }
  return [...byId.values()].sort((a, b) => a.seq - b.seq || Date.parse(a.created_at) - Date.parse(b.created_at));
}

const DELIVERY_RANK: Record<string, number> = { '': 0, queued: 1, sent: 2, delivered: 3, read: 4, failed: 0 };

/**
 * Whether an outbound message's delivery status may move from cur to next — the server's
 * rule (M4): never backwards; failed only before delivered; after failed, any later
 * report from the provider (sent, delivered, read) wins.
 */
export function deliveryAdvances(cur: DeliveryStatus | undefined, next: DeliveryStatus | undefined): boolean {
  const c = cur ?? '';
  if (next === undefined) return false;
  if (next === c) return true;
  if (next === 'failed') return (DELIVERY_RANK[c] ?? 0) < DELIVERY_RANK.delivered!;
  if (c === 'failed') return (DELIVERY_RANK[next] ?? 0) > DELIVERY_RANK.queued!;
  return (DELIVERY_RANK[next] ?? 0) >= (DELIVERY_RANK[c] ?? 0);
}

function mergeMessage(prev: Message, m: Message): Message {
  const out: Message = { ...prev, ...m };
  if (!deliveryAdvances(prev.delivery_status, m.delivery_status)) {
    out.delivery_status = prev.delivery_status;
    out.delivery_error = prev.delivery_error;
  }
  return out;
}

/**
 * Applies a message_updated frame (a delivery status that moved on) to a thread's
 * messages: the new list, or null when the message is not there or nothing changes.
 */
export function applyMessageUpdate(list: readonly Message[], m: Partial<Message> & { id: string }): Message[] | null {
  const i = list.findIndex((x) => x.id === m.id);
  if (i < 0) return null;
  const cur = list[i]!;
  if (!deliveryAdvances(cur.delivery_status, m.delivery_status)) return null;
  const next: Message = { ...cur, delivery_status: m.delivery_status, delivery_error: m.delivery_status === 'failed' ? (m.delivery_error ?? '') : '' };
  if (m.content !== undefined) next.content = m.content;
  if (m.attachments !== undefined) next.attachments = m.attachments;
  if (next.delivery_status === cur.delivery_status && next.delivery_error === (cur.delivery_error ?? '') && next.content === cur.content) return null;
  const out = list.slice();
  out[i] = next;
  return out;
}
