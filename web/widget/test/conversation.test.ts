import { describe, expect, it } from 'vitest';
import { Conversation, NOTICE } from '../src/conversation';
import type { Frame } from '../src/types';

const msg = (type: string, seq: number, content: string, extra: Record<string, unknown> = {}, conv = 'c1'): Frame => ({
  type,
  seq,
  conversation_id: conv,
  data: { id: `${conv}-m${seq}`, content, created_at: '2025-01-01T10:00:00Z', ...extra },
});
const status = (seq: number, s: string, conv = 'c1'): Frame => ({ type: 'status', seq, conversation_id: conv, data: { status: s } });
const texts = (c: Conversation): string[] => c.items.map((i) => `${i.kind}:${i.text}`);

describe('seq tracking', () => {
  it('advances the resume point with each event in order', () => {
    const c = new Conversation('c1');
    c.apply(msg('visitor_message', 1, 'hi'));
    c.apply(msg('bot_message', 2, 'hello'));
    expect(c.lastSeq()).toBe(2);
  });

  it('ignores ephemeral frames (seq 0) for the resume point', () => {
    const c = new Conversation('c1');
    c.apply(msg('bot_message', 1, 'hello'));
    c.apply({ type: 'typing', seq: 0, conversation_id: 'c1', data: { typing: true, name: 'Ana' } });
    expect(c.lastSeq()).toBe(1);
    expect(c.typing).toBe('Ana');
  });

  it('reports a gap and keeps the resume point before it until the gap is filled', () => {
    const c = new Conversation('c1');
    c.apply(msg('bot_message', 1, 'one'));
    const r = c.apply(msg('bot_message', 3, 'three'));
    expect(r.gap).toBe(true);
    expect(c.lastSeq()).toBe(1);
    c.apply(msg('bot_message', 2, 'two'));
    expect(c.lastSeq()).toBe(3);
    expect(texts(c)).toEqual(['bot:one', 'bot:two', 'bot:three']);
  });

  it('counts events of unknown types so the sequence stays gapless', () => {
    const c = new Conversation('c1');
    const r = c.apply({ type: 'something_new', seq: 1, conversation_id: 'c1', data: {} });
    expect(r.applied).toBe(false);
    expect(c.lastSeq()).toBe(1);
  });
});

describe('de-duplication', () => {
  it('shows an event replayed by the socket after REST only once', () => {
    const c = new Conversation('c1');
    const frames = [msg('visitor_message', 1, 'hi'), msg('bot_message', 2, 'hello')];
    frames.forEach((f) => c.apply(f));
    frames.forEach((f) => expect(c.apply(f).applied).toBe(false));
    expect(c.items).toHaveLength(2);
  });

  it('shows a message only once even under another seq', () => {
    const c = new Conversation('c1');
    c.apply(msg('bot_message', 1, 'hello', { id: 'same' }));
    c.apply(msg('bot_message', 2, 'hello', { id: 'same' }));
    expect(c.items).toHaveLength(1);
  });

  it('merges the echo of an optimistic message that arrives before the POST answers', () => {
    const c = new Conversation('c1');
    const pending = c.addPending('What is Baton?');
    expect(pending.delivery).toBe('sending');
    c.apply(msg('visitor_message', 1, 'What is Baton?', { id: 'm1' }));
    expect(c.items).toHaveLength(1);
    expect(pending.seq).toBe(1);
    expect(pending.delivery).toBe('sent');
    c.markSent(pending, { id: 'm1', conversation_id: 'c1', kind: 'visitor', content: 'What is Baton?', created_at: '' });
    expect(c.items).toHaveLength(1);
  });

  it('merges the echo that arrives after the POST answered', () => {
    const c = new Conversation('c1');
    const pending = c.addPending('hi');
    c.markSent(pending, { id: 'm1', conversation_id: 'c1', kind: 'visitor', content: 'hi', created_at: '2025-01-01T10:00:00Z' });
    expect(pending.delivery).toBe('sent');
    c.apply(msg('visitor_message', 1, 'hi', { id: 'm1' }));
    expect(c.items).toHaveLength(1);
    expect(pending.seq).toBe(1);
  });

  it('shows a message written in another tab', () => {
    const c = new Conversation('c1');
    c.apply(msg('visitor_message', 1, 'from the other tab'));
    expect(texts(c)).toEqual(['visitor:from the other tab']);
    expect(c.items[0].delivery).toBe('sent');
  });

  it('keeps an optimistic message below what arrived before it', () => {
    const c = new Conversation('c1');
    c.apply(msg('bot_message', 1, 'earlier'));
    c.addPending('mine');
    c.apply(msg('bot_message', 2, 'while sending'));
    expect(texts(c)).toEqual(['bot:earlier', 'bot:while sending', 'visitor:mine']);
  });
});

describe('conversation switch (H7)', () => {
  it('switches to a conversation it has not seen, restarting seq at 1 and keeping the earlier messages above', () => {
    const c = new Conversation('c1');
    c.apply(msg('visitor_message', 1, 'old question'));
    c.apply(status(2, 'resolved'));
    expect(c.status).toBe('resolved');
    const r = c.apply(msg('visitor_message', 1, 'new question', {}, 'c2'));
    expect(r.switched).toBe(true);
    expect(c.current).toBe('c2');
    expect(c.lastSeq()).toBe(1);
    expect(c.lastSeq('c1')).toBe(2);
    expect(c.status).toBe('bot');
    expect(texts(c)).toEqual(['visitor:old question', 'notice:' + NOTICE.ended, 'visitor:new question']);
  });

  it('switches when the POST of a message answers with a new conversation', () => {
    const c = new Conversation('c1');
    c.apply(status(1, 'closed'));
    const p = c.addPending('again');
    const switched = c.markSent(p, { id: 'x', conversation_id: 'c2', kind: 'visitor', content: 'again', created_at: '' });
    expect(switched).toBe(true);
    expect(c.current).toBe('c2');
    c.apply(msg('visitor_message', 1, 'again', { id: 'x' }, 'c2'));
    expect(texts(c)).toEqual(['notice:' + NOTICE.ended, 'visitor:again']);
  });

  it('does not let a late frame of the old conversation switch back', () => {
    const c = new Conversation('c1');
    c.apply(msg('bot_message', 1, 'a'));
    c.apply(msg('bot_message', 1, 'b', {}, 'c2'));
    const r = c.apply(msg('bot_message', 2, 'late', {}, 'c1'));
    expect(r.switched).toBe(false);
    expect(c.current).toBe('c2');
    expect(texts(c)).toEqual(['bot:a', 'bot:late', 'bot:b']);
  });
});

describe('notices and status', () => {
  it('turns handoff and status events into notices', () => {
    const c = new Conversation('c1');
    c.apply({ type: 'handoff_started', seq: 1, conversation_id: 'c1', data: { reason: 'visitor_request' } });
    c.apply(status(2, 'waiting'));
    expect(c.status).toBe('waiting');
    c.apply(status(3, 'human'));
    c.apply(msg('agent_message', 4, 'Hello', { agent_name: 'Ana' }));
    expect(c.agentName).toBe('Ana');
    c.apply({ type: 'handoff_ended', seq: 5, conversation_id: 'c1', data: {} });
    c.apply(status(6, 'bot'));
    expect(texts(c)).toEqual([
      'notice:' + NOTICE.handoffStarted,
      'notice:' + NOTICE.waiting,
      'notice:Ana joined the conversation.',
      'agent:Hello',
      'notice:' + NOTICE.handoffEnded,
    ]);
    expect(c.items[3].agentName).toBe('Ana');
    expect(c.status).toBe('bot');
  });

  it('does not say "Connecting you…" after "no agent is available"', () => {
    const c = new Conversation('c1');
    c.apply(status(1, 'offline'));
    c.apply({ type: 'handoff_started', seq: 2, conversation_id: 'c1', data: { reason: 'visitor_request' } });
    expect(texts(c)).toEqual(['notice:' + NOTICE.offline]);
    expect(c.lastSeq()).toBe(2);
  });

  it('keeps "An agent joined" when no agent has written yet', () => {
    const c = new Conversation('c1');
    c.apply(status(1, 'human'));
    expect(texts(c)).toEqual(['notice:' + NOTICE.joined]);
  });

  it('ignores a status it does not know', () => {
    const c = new Conversation('c1');
    c.apply(status(1, 'weird'));
    expect(c.status).toBe('bot');
    expect(c.items).toHaveLength(0);
  });

  it('clears the typing indicator when the typist writes', () => {
    const c = new Conversation('c1');
    c.apply({ type: 'typing', seq: 0, data: { typing: true, name: 'Ana' } });
    c.apply(msg('agent_message', 1, 'hi', { agent_name: 'Ana' }));
    expect(c.typing).toBeNull();
  });

  it('marks the last visitor message the team read as seen', () => {
    const c = new Conversation('c1');
    c.apply(msg('visitor_message', 1, 'one'));
    c.apply(msg('visitor_message', 2, 'two'));
    c.apply(msg('visitor_message', 3, 'three'));
    c.apply({ type: 'read', seq: 0, data: { seq: 2 } });
    expect(c.items.map((i) => !!i.seen)).toEqual([false, true, false]);
  });
});

describe('greeting and unread', () => {
  it('shows the greeting above everything, whenever it arrives', () => {
    const c = new Conversation('c1');
    c.apply(msg('bot_message', 1, 'answer'));
    c.setGreeting('Hi there');
    expect(texts(c)).toEqual(['bot:Hi there', 'bot:answer']);
  });

  it('counts bot and agent messages above the read seq', () => {
    const c = new Conversation('c1');
    c.setGreeting('Hi');
    c.apply(msg('visitor_message', 1, 'q'));
    c.apply(msg('bot_message', 2, 'a'));
    c.apply(msg('agent_message', 3, 'b', { agent_name: 'Ana' }));
    expect(c.unread(0)).toBe(2);
    expect(c.unread(2)).toBe(1);
    expect(c.unread(3)).toBe(0);
  });
});
