import { describe, expect, it } from 'vitest';
import { ticketParams, ticketPatch, ticketForm, emptyTicketFilters, isTicketFiltered } from '../lib/tickets';
import type { Ticket, TicketPage } from '../lib/types';
import { TicketList } from './tickets.svelte';

function ticket(p: Partial<Ticket> & { id: string }): Ticket {
  return {
    number: 1,
    subject: 'Order late',
    description: '',
    priority: 'medium',
    status: 'open',
    assignee: null,
    source: 'agent',
    conversation_ids: ['c1'],
    created_at: '2025-01-01T10:00:00Z',
    updated_at: '2025-01-01T10:00:00Z',
    ...p,
  };
}

function fake(pages: Record<string, TicketPage>) {
  const calls: string[] = [];
  const get = async <T,>(path: string): Promise<T> => {
    calls.push(path);
    const cursor = new URL(path, 'http://x').searchParams.get('cursor') ?? '';
    const page = pages[cursor];
    if (!page) throw new Error('no page');
    return structuredClone(page) as T;
  };
  return { get, calls };
}

describe('TicketList', () => {
  it('loads with the filters and pages with next_cursor', async () => {
    const f = fake({
      '': { tickets: [ticket({ id: 't1' }), ticket({ id: 't2' })], next_cursor: 'k2' },
      k2: { tickets: [ticket({ id: 't2' }), ticket({ id: 't3' })], next_cursor: '' },
    });
    const l = new TicketList({ get: f.get });
    l.filters.status = 'open';
    l.filters.assignee = 'me';
    l.filters.q = ' refund ';
    await l.load();
    const u = new URL(f.calls[0]!, 'http://x');
    expect(u.pathname).toBe('/api/v1/tickets');
    expect(Object.fromEntries(u.searchParams)).toEqual({ status: 'open', assignee: 'me', q: 'refund', limit: '50' });
    expect(l.hasMore).toBe(true);
    await l.loadMore();
    expect(new URL(f.calls[1]!, 'http://x').searchParams.get('cursor')).toBe('k2');
    expect(l.rows.map((t) => t.id)).toEqual(['t1', 't2', 't3']);
    expect(l.hasMore).toBe(false);
  });

  it('reports an error and reloads on a filter change', async () => {
    const f = fake({});
    const l = new TicketList({ get: f.get });
    await l.load();
    expect(l.status).toBe('error');
    expect(l.error).not.toBe('');
  });

  it('refreshes the first page quietly when coming back', async () => {
    const pages: Record<string, TicketPage> = { '': { tickets: [ticket({ id: 't1' })], next_cursor: '' } };
    const f = fake(pages);
    const l = new TicketList({ get: f.get });
    await l.refresh(); // first visit: a normal load
    expect(l.status).toBe('ready');
    pages['']!.tickets.unshift(ticket({ id: 'new' }));
    const p = l.refresh();
    expect(l.status).toBe('ready'); // no loading state
    await p;
    expect(l.rows.map((t) => t.id)).toEqual(['new', 't1']);
  });

  it('replaces an edited row', async () => {
    const f = fake({ '': { tickets: [ticket({ id: 't1' })], next_cursor: '' } });
    const l = new TicketList({ get: f.get });
    await l.load();
    l.update(ticket({ id: 't1', status: 'solved' }));
    l.update(ticket({ id: 'other' }));
    expect(l.rows.map((t) => [t.id, t.status])).toEqual([['t1', 'solved']]);
  });
});

describe('ticket helpers', () => {
  it('sends only the fields the form changed', () => {
    const t = ticket({ id: 't', assignee: { id: 'u1', name: 'Ana', email: 'a@x' } });
    const f = ticketForm(t);
    expect(ticketPatch(t, f)).toEqual({});
    f.status = 'pending';
    f.subject = ' Order late ';
    f.assignee_id = '';
    expect(ticketPatch(t, f)).toEqual({ status: 'pending', assignee_id: '' });
  });

  it('turns filters into query parameters', () => {
    expect(ticketParams(emptyTicketFilters())).toEqual({});
    expect(isTicketFiltered(emptyTicketFilters())).toBe(false);
    expect(ticketParams({ status: 'solved', priority: 'urgent', assignee: 'none', q: '#12' })).toEqual({ status: 'solved', priority: 'urgent', assignee: 'none', q: '#12' });
  });
});
