import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, setFetcher } from '../lib/api';
import { isWindowClosed, REPLY_CONFLICT, sendErrorText, sendTemplate } from './actions';
import { thread } from './thread.svelte';

afterEach(() => {
  setFetcher((...args) => fetch(...args));
});

describe('reply errors', () => {
  const closed = new ApiError(409, 'window_closed', 'The visitor last wrote on WhatsApp more than 24 hours ago: WhatsApp accepts only an approved template now. Choose a template to send.');

  it('tells a closed window from other conflicts', () => {
    expect(isWindowClosed(closed)).toBe(true);
    expect(isWindowClosed(new ApiError(409, 'conflict', 'Not handed off.'))).toBe(false);
    expect(isWindowClosed(new Error('x'))).toBe(false);
    expect(sendErrorText(closed)).toMatch(/approved template/);
    expect(sendErrorText(new ApiError(409, 'conflict', 'x'))).toBe(REPLY_CONFLICT);
  });
});

describe('sendTemplate', () => {
  it('posts the template and its parameters and shows the message in the open thread', async () => {
    const calls: { url: string; body: unknown }[] = [];
    setFetcher(async (url, init) => {
      const u = String(url);
      calls.push({ url: u, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (u.endsWith('/template')) {
        return new Response(JSON.stringify({ id: 'm9', conversation_id: 'c1', seq: 9, kind: 'agent', sender_name: 'Ana', content: 'Hi Wanda, your order #5521 has shipped.', attachments: [], delivery_status: 'queued', created_at: '2025-01-01T10:00:00Z' }), { status: 201 });
      }
      if (u.endsWith('/messages?limit=50')) return new Response(JSON.stringify({ messages: [], next_before: 0 }), { status: 200 });
      return new Response(JSON.stringify({ id: 'c1', number: 1, channel: 'whatsapp', status: 'human', pending: false, priority: '', reason: '', turns: 1, last_seq: 8, last_message: '', last_activity_at: '2025-01-01T10:00:00Z' }), { status: 200 });
    });
    await thread.open('c1');
    const m = await sendTemplate('c1', 'tpl1', ['Wanda', '#5521']);
    expect(m.content).toBe('Hi Wanda, your order #5521 has shipped.');
    expect(calls.at(-1)).toEqual({ url: '/api/v1/conversations/c1/template', body: { template_id: 'tpl1', parameters: ['Wanda', '#5521'] } });
    expect(thread.messages.map((x) => x.id)).toEqual(['m9']);
    expect(thread.messages[0]!.delivery_status).toBe('queued');
    thread.close();
  });
});
