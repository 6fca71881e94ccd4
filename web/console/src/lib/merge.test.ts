import { describe, expect, it } from 'vitest';
import { at, conv, msg } from '../test/fixtures';
import { applyMessageUpdate, compareRows, deliveryAdvances, mergeMessages, mergePage, upsertRow } from './merge';

describe('upsertRow', () => {
  const rows = mergePage([], [conv({ id: 'a', last_activity_at: at(3) }), conv({ id: 'b', last_activity_at: at(2) }), conv({ id: 'c', last_activity_at: at(1) })]);

  it('keeps rows sorted newest activity first', () => {
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('moves a row with new activity to the top', () => {
    const out = upsertRow(rows, { id: 'c', last_activity_at: at(9), last_seq: 5, last_message: 'new' }, { insert: false });
    expect(out.map((r) => r.id)).toEqual(['c', 'a', 'b']);
    expect(out[0]!.last_message).toBe('new');
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c']); // input untouched
  });

  it('updates in place when activity did not change', () => {
    const out = upsertRow(rows, { id: 'b', status: 'waiting' }, { insert: false });
    expect(out.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(out[1]!.status).toBe('waiting');
  });

  it('ignores a change older than the row it holds', () => {
    const fresh = upsertRow(rows, { id: 'a', last_seq: 10, status: 'human' }, { insert: false });
    const out = upsertRow(fresh, { id: 'a', last_seq: 4, status: 'bot' }, { insert: false });
    expect(out).toBe(fresh);
    expect(out[0]!.status).toBe('human');
  });

  it('inserts a new row only when asked, at its sorted place', () => {
    const d = conv({ id: 'd', last_activity_at: at(2) });
    expect(upsertRow(rows, d, { insert: false })).toBe(rows);
    const out = upsertRow(rows, d, { insert: true });
    expect(out).toHaveLength(4);
  });

  it('never duplicates a row', () => {
    const out = mergePage(rows, [conv({ id: 'a', last_activity_at: at(3) }), conv({ id: 'a', last_activity_at: at(3) })]);
    expect(out.filter((r) => r.id === 'a')).toHaveLength(1);
    expect(out).toHaveLength(3);
  });

  it('clears a stale assignee object when a summary names another assignee id', () => {
    const withA = upsertRow(rows, { id: 'a', assignee: { id: 'u1', name: 'Ana', email: 'a@x' } }, { insert: false });
    const out = upsertRow(withA, { id: 'a', assignee_id: 'u2' }, { insert: false });
    expect(out.find((r) => r.id === 'a')!.assignee).toBeNull();
    const same = upsertRow(withA, { id: 'a', assignee_id: 'u1' }, { insert: false });
    expect(same.find((r) => r.id === 'a')!.assignee?.name).toBe('Ana');
  });

  it('merges the contact of a summary into the row, keeping the REST-only fields', () => {
    const full = { id: 'k', session_id: 's1', name: '', email: '', phone: '+1', attributes: { plan: 'pro' } };
    const withContact = upsertRow(rows, { id: 'a', contact: full }, { insert: false });
    const out = upsertRow(withContact, { id: 'a', contact: { id: 'k', name: 'Bob Stone', email: 'bob@x' } as typeof full }, { insert: false });
    expect(out.find((r) => r.id === 'a')!.contact).toEqual({ ...full, name: 'Bob Stone', email: 'bob@x' });
  });

  it('breaks ties by id so the order is stable', () => {
    const x = conv({ id: 'x', last_activity_at: at(1) });
    const y = conv({ id: 'y', last_activity_at: at(1) });
    expect(compareRows(x, y)).toBeGreaterThan(0);
    expect(mergePage([], [x, y]).map((r) => r.id)).toEqual(['y', 'x']);
  });
});

describe('mergeMessages', () => {
  it('orders by seq, oldest first', () => {
    const out = mergeMessages([msg({ id: 'm3', seq: 3 })], [msg({ id: 'm1', seq: 1 }), msg({ id: 'm2', seq: 2 })]);
    expect(out.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('drops duplicates by id and keeps the later copy', () => {
    const out = mergeMessages([msg({ id: 'm1', seq: 1, delivery_status: 'sent' })], [msg({ id: 'm1', seq: 1, delivery_status: 'read' })]);
    expect(out).toHaveLength(1);
    expect(out[0]!.delivery_status).toBe('read');
  });

  it('drops a second message with the same seq', () => {
    const out = mergeMessages([msg({ id: 'm1', seq: 1 })], [msg({ id: 'other', seq: 1 })]);
    expect(out.map((m) => m.id)).toEqual(['m1']);
  });

  it('merges an older page in front of what is shown (pagination)', () => {
    const newest = Array.from({ length: 50 }, (_, i) => msg({ id: 'n' + (i + 51), seq: i + 51 }));
    const older = Array.from({ length: 50 }, (_, i) => msg({ id: 'n' + (50 - i), seq: 50 - i })); // API order: newest first
    const out = mergeMessages(newest, older);
    expect(out).toHaveLength(100);
    expect(out[0]!.seq).toBe(1);
    expect(out[99]!.seq).toBe(100);
  });
});

describe('upsertRow insertion place', () => {
  it('puts an inserted row between older and newer ones', () => {
    const rows = mergePage([], [conv({ id: 'a', last_activity_at: at(3) }), conv({ id: 'c', last_activity_at: at(1) })]);
    const out = upsertRow(rows, conv({ id: 'b', last_activity_at: at(2) }), { insert: true });
    expect(out.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('delivery status', () => {
  it('only moves forward, failed only before delivered', () => {
    expect(deliveryAdvances('queued', 'sent')).toBe(true);
    expect(deliveryAdvances('sent', 'read')).toBe(true);
    expect(deliveryAdvances('read', 'delivered')).toBe(false);
    expect(deliveryAdvances('sent', 'queued')).toBe(false);
    expect(deliveryAdvances('sent', 'failed')).toBe(true);
    expect(deliveryAdvances('delivered', 'failed')).toBe(false);
    expect(deliveryAdvances('failed', 'delivered')).toBe(true);
    expect(deliveryAdvances('failed', 'queued')).toBe(false);
    expect(deliveryAdvances(undefined, 'queued')).toBe(true);
    expect(deliveryAdvances('sent', undefined)).toBe(false);
  });

  it('keeps the further status when a stale page is merged after a live update', () => {
    const live = msg({ id: 'a', seq: 1, kind: 'agent', delivery_status: 'read' });
    const stale = msg({ id: 'a', seq: 1, kind: 'agent', delivery_status: 'sent' });
    expect(mergeMessages([live], [stale])[0]!.delivery_status).toBe('read');
  });

  it('applyMessageUpdate replaces only the delivery of a held message', () => {
    const list = [msg({ id: 'a', seq: 1, kind: 'agent', delivery_status: 'sent' }), msg({ id: 'b', seq: 2 })];
    const out = applyMessageUpdate(list, { id: 'a', delivery_status: 'failed', delivery_error: 'blocked' })!;
    expect(out[0]).toMatchObject({ delivery_status: 'failed', delivery_error: 'blocked', content: 'text a' });
    expect(out[1]).toBe(list[1]);
    expect(applyMessageUpdate(list, { id: 'zz', delivery_status: 'sent' })).toBeNull();
    expect(applyMessageUpdate(list, { id: 'a', delivery_status: 'sent' })).toBeNull(); // nothing changes
  });
});
