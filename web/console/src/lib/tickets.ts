// Tickets (T1): labels, query parameters, the fields a ticket edit changes, and the calls
// the sidebar and the Tickets page share.
import { api, query } from './api';
import type { Priority, Ticket, TicketStatus } from './types';

export const TICKET_STATUSES: { value: TicketStatus; label: string }[] = [
  { value: 'open', label: 'Open' },
  { value: 'pending', label: 'Pending' },
  { value: 'solved', label: 'Solved' },
];

export function ticketStatusLabel(s: string): string {
  return TICKET_STATUSES.find((x) => x.value === s)?.label ?? s;
}

export interface TicketFilters {
  status: '' | TicketStatus;
  priority: '' | Exclude<Priority, ''>;
  /** '' anyone, 'me', 'none' (unassigned), or a user id. */
  assignee: string;
  q: string;
}

export function emptyTicketFilters(): TicketFilters {
  return { status: '', priority: '', assignee: '', q: '' };
}

export function ticketParams(f: TicketFilters): Record<string, string> {
  const p: Record<string, string> = {};
  if (f.status) p.status = f.status;
  if (f.priority) p.priority = f.priority;
  if (f.assignee) p.assignee = f.assignee;
  const q = f.q.trim();
  if (q) p.q = q;
  return p;
}

export function isTicketFiltered(f: TicketFilters): boolean {
  return Object.keys(ticketParams(f)).length > 0;
}

export interface TicketForm {
  subject: string;
  description: string;
  status: TicketStatus;
  priority: Priority;
  assignee_id: string;
}

export function ticketForm(t: Ticket): TicketForm {
  return { subject: t.subject, description: t.description, status: t.status, priority: t.priority, assignee_id: t.assignee?.id ?? '' };
}

export type TicketPatch = Partial<TicketForm> & { link_conversation_ids?: string[]; unlink_conversation_ids?: string[] };

/** Only the fields the form changed (PATCH leaves absent fields alone). */
export function ticketPatch(t: Ticket, f: TicketForm): TicketPatch {
  const before = ticketForm(t);
  const p: TicketPatch = {};
  const subject = f.subject.trim();
  if (subject !== before.subject) p.subject = subject;
  if (f.description !== before.description) p.description = f.description;
  if (f.status !== before.status) p.status = f.status;
  if (f.priority !== before.priority) p.priority = f.priority;
  if (f.assignee_id !== before.assignee_id) p.assignee_id = f.assignee_id;
  return p;
}

export interface NewTicket {
  subject: string;
  description: string;
  priority: Priority;
}

export function conversationTickets(conversationId: string): Promise<{ tickets: Ticket[] }> {
  return api.get(`/api/v1/conversations/${encodeURIComponent(conversationId)}/tickets`);
}

export function createConversationTicket(conversationId: string, t: NewTicket): Promise<Ticket> {
  return api.post(`/api/v1/conversations/${encodeURIComponent(conversationId)}/tickets`, {
    subject: t.subject.trim(),
    description: t.description.trim(),
    priority: t.priority || undefined,
  });
}

export function getTicket(id: string): Promise<Ticket> {
  return api.get(`/api/v1/tickets/${encodeURIComponent(id)}`);
}

export function patchTicket(id: string, p: TicketPatch): Promise<Ticket> {
  return api.patch(`/api/v1/tickets/${encodeURIComponent(id)}`, p);
}

export function ticketsUrl(f: TicketFilters, cursor = '', limit = 50): string {
  return '/api/v1/tickets' + query({ ...ticketParams(f), cursor, limit });
}
