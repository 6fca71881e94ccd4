import { describe, expect, it } from 'vitest';
import { renderTemplate, placeholderCount, parseParameterNames, windowMode } from '../lib/templates';
import type { ChannelWindow } from '../lib/types';
import { msg } from '../test/fixtures';
import { ChannelWindowStore } from './window.svelte';

const NOW = Date.parse('2025-01-02T10:00:00Z');

function fake(answers: ChannelWindow[]) {
  const calls: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const store = new ChannelWindowStore({
    get: async <T,>(p: string) => {
      calls.push(p);
      return structuredClone(answers.length > 1 ? answers.shift()! : answers[0]!) as T;
    },
    now: () => NOW,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
  });
  return { store, calls, timers };
}

const open = (closesAt: string | null = '2025-01-02T12:00:00Z'): ChannelWindow => ({ channel: 'whatsapp', open: true, closes_at: closesAt, template_required: false });
const closed: ChannelWindow = { channel: 'whatsapp', open: false, closes_at: null, template_required: true };
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('ChannelWindowStore', () => {
  it('reads the window of WhatsApp and Messenger conversations only', async () => {
    const f = fake([open()]);
    f.store.watch({ id: 'c1', channel: 'web' });
    await flush();
    expect(f.calls).toEqual([]);
    expect(f.store.forConversation('c1')).toBeNull();
    f.store.watch({ id: 'c2', channel: 'whatsapp' });
    await flush();
    expect(f.calls).toEqual(['/api/v1/conversations/c2/window']);
    expect(windowMode(f.store.forConversation('c2'))).toBe('open');
    expect(f.store.forConversation('c1')).toBeNull();
  });

  it('reads it again a second after it is due to close', async () => {
    const f = fake([open(), closed]);
    f.store.watch({ id: 'c1', channel: 'whatsapp' });
    await flush();
    expect(f.timers[0]!.ms).toBe(2 * 3600 * 1000 + 1000);
    f.timers[0]!.fn();
    await flush();
    expect(windowMode(f.store.window)).toBe('template');
  });

  it('switches to the template mode at once when a reply is refused, and back when the visitor writes', async () => {
    const f = fake([open(), closed, open()]);
    f.store.watch({ id: 'c1', channel: 'whatsapp' });
    await flush();
    f.store.refuse('c1', 'WhatsApp accepts only an approved template now.');
    expect(windowMode(f.store.window)).toBe('template');
    expect(f.store.refusal).toMatch(/template/);
    await flush();
    expect(windowMode(f.store.window)).toBe('template');
    // A bot message does nothing; the visitor's message reopens the window.
    f.store.applyFrame({ type: 'message_created', conversation_id: 'c1', data: msg({ id: 'b', seq: 5, kind: 'bot' }) });
    f.store.applyFrame({ type: 'message_created', conversation_id: 'c2', data: msg({ id: 'v2', seq: 5, kind: 'visitor', conversation_id: 'c2' }) });
    expect(f.calls).toHaveLength(2);
    f.store.applyFrame({ type: 'message_created', conversation_id: 'c1', data: msg({ id: 'v', seq: 6, kind: 'visitor' }) });
    await flush();
    expect(windowMode(f.store.window)).toBe('open');
    expect(f.store.refusal).toBe('');
  });

  it('a closed Messenger window blocks replies without templates', () => {
    expect(windowMode({ channel: 'messenger', open: false, closes_at: null, template_required: false })).toBe('blocked');
    expect(windowMode({ channel: 'messenger', open: true, closes_at: null, tag: 'HUMAN_AGENT', template_required: false })).toBe('open');
    expect(windowMode(null)).toBe('open');
  });
});

describe('templates', () => {
  it('renders the body with its parameters like the server', () => {
    const t = { name: 'order_update', language: 'en_US', body: 'Hi {{1}}, order {{2}} shipped. {{1}}!' };
    expect(renderTemplate(t, ['Ana', '#12'])).toBe('Hi Ana, order #12 shipped. Ana!');
    expect(renderTemplate(t, ['{{2}}', 'x'])).toBe('Hi {{2}}, order x shipped. {{2}}!');
    expect(renderTemplate({ ...t, body: '' }, ['a', 'b'])).toBe('[Template order_update (en_US)] a · b');
    expect(renderTemplate({ ...t, body: 'Hi {{1}} {{10}}' }, Array.from({ length: 10 }, (_, i) => 'p' + (i + 1)))).toBe('Hi p1 p10');
  });

  it('counts placeholders and parses parameter names', () => {
    expect(placeholderCount('Hi {{1}}, {{3}} and {{2}}')).toBe(3);
    expect(placeholderCount('no params')).toBe(0);
    expect(parseParameterNames(' name, order number ,, ')).toEqual(['name', 'order number']);
  });
});
