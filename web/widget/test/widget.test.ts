import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Widget } from '../src/widget';
import { FakeServer, FakeSocket, FakeWebSocket, MemoryKV } from './fakes';

let server: FakeServer;
let kv: MemoryKV;
const widgets: Widget[] = [];

function make(opts: Partial<ConstructorParameters<typeof Widget>[0]> = {}): { w: Widget; root: ShadowRoot } {
  const w = new Widget(
    { chatbot: 'demo', baseURL: 'http://baton.test', ...opts },
    { fetch: server.fetch, WebSocketImpl: FakeWebSocket, storage: kv },
  );
  widgets.push(w);
  const host = w.mount(document.body);
  return { w, root: host.shadowRoot! };
}

/** Waits until `check` stops throwing (real timers). */
async function until(check: () => void): Promise<void> {
  await vi.waitFor(check, { timeout: 2000, interval: 5 });
}

const $ = <T extends Element = HTMLElement>(root: ShadowRoot, sel: string): T => {
  const el = root.querySelector<T>(sel);
  if (!el) throw new Error('no ' + sel);
  return el;
};
const bubbles = (root: ShadowRoot): string[] =>
  [...root.querySelectorAll('.log > .msg, .log > .notice')].map((el) =>
    el.classList.contains('notice') ? 'notice:' + el.textContent : (el.classList.contains('me') ? 'me:' : 'them:') + el.querySelector('.bubble')!.textContent,
  );

function type(root: ShadowRoot, text: string): void {
  const input = $<HTMLTextAreaElement>(root, 'textarea#baton-input');
  input.value = text;
  input.dispatchEvent(new Event('input'));
}

function send(root: ShadowRoot, text: string): void {
  type(root, text);
  $<HTMLFormElement>(root, 'form.composer').dispatchEvent(new Event('submit', { cancelable: true }));
}

beforeEach(() => {
  server = new FakeServer();
  kv = new MemoryKV();
  FakeSocket.reset();
  document.body.innerHTML = '';
});

afterEach(() => {
  for (const w of widgets.splice(0)) w.socket.stop();
  vi.useRealTimers();
});

describe('the panel', () => {
  it('shows a launcher and opens a labelled panel with the greeting and the name', async () => {
    const { root } = make();
    const launcher = $(root, 'button.launcher');
    expect(launcher.getAttribute('aria-label')).toBe('Open chat');
    expect($(root, '.panel').hidden).toBe(true);
    launcher.click();
    expect($(root, '.panel').hidden).toBe(false);
    expect(launcher.getAttribute('aria-expanded')).toBe('true');
    await until(() => expect($(root, '.title').textContent).toBe('Acme'));
    expect(bubbles(root)).toEqual(['them:Hi! How can we help?']);
    expect($(root, '.log').getAttribute('aria-live')).toBe('polite');
    expect(root.activeElement?.id).toBe('baton-input');
    expect($(root, '.sub').textContent).toBe('The assistant answers instantly');
  });

  it('closes on Escape and gives focus back to the launcher', async () => {
    const { w, root } = make();
    w.open();
    $(root, 'textarea').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect($(root, '.panel').hidden).toBe(true);
    expect(root.activeElement).toBe($(root, 'button.launcher'));
  });

  it('shows the empty state when there is no greeting', async () => {
    server.on((c) => (c.path.startsWith('/widget/v1/config') ? { status: 404, body: { error: { code: 'not_found', message: 'x' } } } : undefined));
    const { w, root } = make();
    w.open();
    await new Promise((r) => setTimeout(r, 10));
    expect($(root, '.empty').hidden).toBe(false);
    expect($(root, '.title').textContent).toBe('Chat');
  });
});

describe('sending', () => {
  it('opens a session on the first message, shows it once, and connects the socket', async () => {
    const { root } = make({ name: 'Jo', email: 'jo@example.com', userId: 'u1', userHash: 'abc' });
    $(root, 'button.launcher').click();
    send(root, 'What is Baton?');
    expect(bubbles(root)).toContain('me:What is Baton?');
    expect($(root, '.msg.me .meta').textContent).toContain('Sending…');
    await until(() => expect($(root, '.msg.me .meta').textContent).toContain('Sent'));
    const session = server.calls.find((c) => c.path === '/widget/v1/sessions')!;
    expect(session.body).toEqual({ chatbot: 'demo', name: 'Jo', email: 'jo@example.com', user_id: 'u1', user_hash: 'abc' });
    const ws = FakeSocket.last();
    expect(ws.params.get('token')).toBe('btv_1');
    expect(ws.params.get('conversation_id')).toBe('c1');
    ws.open();
    ws.frame({ type: 'visitor_message', seq: 1, conversation_id: 'c1', data: { id: 'm1', content: 'What is Baton?', created_at: '2025-01-01T10:00:00Z' } });
    ws.frame({ type: 'bot_message', seq: 2, conversation_id: 'c1', data: { id: 'b1', content: 'Baton is a chat platform.', created_at: '2025-01-01T10:00:01Z' } });
    await until(() => expect(bubbles(root)).toEqual(['them:Hi! How can we help?', 'me:What is Baton?', 'them:Baton is a chat platform.']));
    expect(JSON.parse(kv.getItem('baton:demo')!)).toMatchObject({ token: 'btv_1', conversation_id: 'c1', seqs: { c1: 2 } });
    expect(ws.sent).toContainEqual({ type: 'read', data: { seq: 2 } });
  });

  it('shows the server message kindly on 429 and retries', async () => {
    let limited = true;
    server.on((c) =>
      c.method === 'POST' && c.path === '/widget/v1/messages' && limited
        ? { status: 429, body: { error: { code: 'rate_limited', message: 'You are writing fast; wait a few seconds.' } } }
        : undefined,
    );
    const { root } = make();
    $(root, 'button.launcher').click();
    send(root, 'hello');
    await until(() => expect($(root, '.msg.me .meta').textContent).toContain('You are writing fast; wait a few seconds.'));
    expect($(root, '.banner').hidden).toBe(true);
    limited = false;
    $<HTMLButtonElement>(root, '.msg.me .meta button').click();
    await until(() => expect($(root, '.msg.me .meta').textContent).toContain('Sent'));
    expect(bubbles(root).filter((b) => b === 'me:hello')).toHaveLength(1);
  });

  it('shows the banner when the server is unreachable and clears it on retry', async () => {
    let down = true;
    server.on(() => (down ? 'network' : undefined));
    const { root } = make();
    $(root, 'button.launcher').click();
    send(root, 'anyone?');
    await until(() => expect($(root, '.banner').hidden).toBe(false));
    expect($(root, '.msg.me.failed')).toBeTruthy();
    down = false;
    $<HTMLButtonElement>(root, '.banner button').click();
    await until(() => expect($(root, '.banner').hidden).toBe(true));
  });

  it('sends typing while the visitor types, throttled, and false after 5 s idle', async () => {
    const { root } = make();
    $(root, 'button.launcher').click();
    send(root, 'first');
    await until(() => expect(FakeSocket.instances.length).toBe(1));
    const ws = FakeSocket.last();
    ws.open();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    ws.sent = [];
    type(root, 'h');
    type(root, 'he');
    vi.advanceTimersByTime(1000);
    type(root, 'hel');
    expect(ws.sent).toEqual([{ type: 'typing', data: { typing: true } }]);
    vi.advanceTimersByTime(2500);
    type(root, 'hell');
    expect(ws.sent).toHaveLength(2);
    vi.advanceTimersByTime(5000);
    expect(ws.sent[ws.sent.length - 1]).toEqual({ type: 'typing', data: { typing: false } });
  });
});

describe('frames from the team', () => {
  async function connected(): Promise<{ w: Widget; root: ShadowRoot; ws: FakeSocket }> {
    const { w, root } = make();
    $(root, 'button.launcher').click();
    send(root, 'I want to talk to a human');
    await until(() => expect(FakeSocket.instances.length).toBe(1));
    const ws = FakeSocket.last();
    ws.open();
    return { w, root, ws };
  }

  it('shows an agent message literally with the agent name, and the handoff notices', async () => {
    const { root, ws } = await connected();
    ws.frame({ type: 'visitor_message', seq: 1, conversation_id: 'c1', data: { id: 'm1', content: 'I want to talk to a human' } });
    ws.frame({ type: 'handoff_started', seq: 2, conversation_id: 'c1', data: { reason: 'visitor_request' } });
    ws.frame({ type: 'status', seq: 3, conversation_id: 'c1', data: { status: 'waiting' } });
    await until(() => expect($(root, '.sub').textContent).toBe('Waiting for an agent…'));
    ws.frame({ type: 'status', seq: 4, conversation_id: 'c1', data: { status: 'human' } });
    ws.frame({ type: 'typing', seq: 0, conversation_id: 'c1', data: { typing: true, name: 'Ana' } });
    await until(() => expect($(root, '.typing').hidden).toBe(false));
    expect($(root, '.typing').textContent).toContain('Ana is typing');
    ws.frame({ type: 'agent_message', seq: 5, conversation_id: 'c1', data: { id: 'a1', content: 'Hello from Ana <b>bold</b> <img src=x onerror=alert(1)>', agent_name: 'Ana' } });
    await until(() => expect(root.querySelector('.msg.agent')).toBeTruthy());
    const agent = $(root, '.msg.agent');
    expect(agent.querySelector('.bubble')!.textContent).toBe('Hello from Ana <b>bold</b> <img src=x onerror=alert(1)>');
    expect(agent.querySelector('b, img')).toBeNull();
    expect(agent.querySelector('.label')!.textContent).toBe('Ana');
    expect($(root, '.sub').textContent).toBe('Ana is here');
    expect($(root, '.typing').hidden).toBe(true);
    expect(bubbles(root)).toEqual([
      'them:Hi! How can we help?',
      'me:I want to talk to a human',
      'notice:Connecting you to a human agent…',
      'notice:Waiting for an agent… You can keep writing here.',
      'notice:Ana joined the conversation.',
      'them:Hello from Ana <b>bold</b> <img src=x onerror=alert(1)>',
    ]);
  });

  it('counts unread messages on the launcher while closed', async () => {
    const { w, root, ws } = await connected();
    ws.frame({ type: 'visitor_message', seq: 1, conversation_id: 'c1', data: { id: 'm1', content: 'I want to talk to a human' } });
    w.close();
    ws.frame({ type: 'bot_message', seq: 2, conversation_id: 'c1', data: { id: 'b1', content: 'one' } });
    ws.frame({ type: 'bot_message', seq: 3, conversation_id: 'c1', data: { id: 'b2', content: 'two' } });
    await until(() => expect($(root, '.badge').textContent).toBe('2'));
    expect($(root, '.badge').hidden).toBe(false);
    expect($(root, 'button.launcher').getAttribute('aria-label')).toBe('Open chat, 2 unread messages');
    w.open();
    await until(() => expect($(root, '.badge').hidden).toBe(true));
    expect(ws.sent).toContainEqual({ type: 'read', data: { seq: 3 } });
  });

  it('runs the offline form', async () => {
    const { root, ws } = await connected();
    server.on((c) => (c.path === '/widget/v1/offline' ? { status: 201, body: { id: 't1' } } : undefined));
    ws.frame({ type: 'status', seq: 1, conversation_id: 'c1', data: { status: 'offline' } });
    await until(() => expect($(root, 'form.offline').hidden).toBe(false));
    const form = $<HTMLFormElement>(root, 'form.offline');
    (form.elements.namedItem('name') as HTMLInputElement).value = 'Jo';
    (form.elements.namedItem('email') as HTMLInputElement).value = 'not an email';
    (form.elements.namedItem('message') as HTMLTextAreaElement).value = 'Call me back';
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    expect($(root, 'form.offline .err').textContent).toContain('valid email');
    (form.elements.namedItem('email') as HTMLInputElement).value = 'jo@example.com';
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    await until(() => expect($(root, '.thanks').hidden).toBe(false));
    expect($(root, 'form.offline').hidden).toBe(true);
    expect(server.calls.find((c) => c.path === '/widget/v1/offline')).toMatchObject({
      auth: 'Bearer btv_1',
      body: { name: 'Jo', email: 'jo@example.com', message: 'Call me back' },
    });
  });

  it('follows a new conversation and keeps the earlier one above', async () => {
    const { root, ws } = await connected();
    ws.frame({ type: 'visitor_message', seq: 1, conversation_id: 'c1', data: { id: 'm1', content: 'I want to talk to a human' } });
    ws.frame({ type: 'status', seq: 2, conversation_id: 'c1', data: { status: 'resolved' } });
    await until(() => expect(bubbles(root)).toContain('notice:This conversation has ended. Write a message to start a new one.'));
    ws.frame({ type: 'visitor_message', seq: 1, conversation_id: 'c2', data: { id: 'm9', content: 'back again' } });
    await until(() => expect(bubbles(root).slice(-1)).toEqual(['me:back again']));
    expect(JSON.parse(kv.getItem('baton:demo')!)).toMatchObject({ conversation_id: 'c2', seqs: { c1: 2, c2: 1 } });
  });

  it('opens a new session when the socket says 4001', async () => {
    const { ws } = await connected();
    ws.serverClose(4001);
    await until(() => expect(server.sessions).toBe(2));
    await until(() => expect(FakeSocket.last().params.get('token')).toBe('btv_2'));
  });
});

describe('a reload', () => {
  it('restores the session and the history, then resumes the socket after the last seq', async () => {
    server.events = [
      { type: 'visitor_message', seq: 1, conversation_id: 'c1', data: { id: 'm1', content: 'earlier question' } },
      { type: 'bot_message', seq: 2, conversation_id: 'c1', data: { id: 'b1', content: 'earlier answer' } },
    ];
    kv.setItem('baton:demo', JSON.stringify({ session_id: 'web:s1', token: 'btv_1', conversation_id: 'c1', seqs: { c1: 2 }, read: { c1: 2 }, offline: {} }));
    const { root } = make();
    $(root, 'button.launcher').click();
    await until(() => expect(bubbles(root)).toEqual(['them:Hi! How can we help?', 'me:earlier question', 'them:earlier answer']));
    expect(server.calls.some((c) => c.path.startsWith('/widget/v1/messages?after_seq=0'))).toBe(true);
    await until(() => expect(FakeSocket.instances.length).toBe(1));
    expect(FakeSocket.last().params.get('since')).toBe('2');
    // The socket replays the seam again: nothing shows twice.
    FakeSocket.last().open();
    FakeSocket.last().frame(server.events[1]);
    await new Promise((r) => setTimeout(r, 5));
    expect(bubbles(root)).toHaveLength(3);
  });

  it('drops a refused token and opens a new session', async () => {
    kv.setItem('baton:demo', JSON.stringify({ session_id: 'web:old', token: 'btv_old', conversation_id: 'c0', seqs: {}, read: {}, offline: {} }));
    server.on((c) => (c.auth === 'Bearer btv_old' ? { status: 401, body: { error: { code: 'unauthorized', message: 'Bad token.' } } } : undefined));
    make();
    await until(() => expect(server.sessions).toBe(1));
    await until(() => expect(JSON.parse(kv.getItem('baton:demo')!).token).toBe('btv_1'));
  });

  it('sends a message once through a new session when the stored token has expired', async () => {
    kv.setItem('baton:demo', JSON.stringify({ session_id: 'web:u1', token: 'btv_old', conversation_id: 'c1', user_id: 'u1', seqs: {}, read: {}, offline: {} }));
    server.on((c) =>
      c.auth === 'Bearer btv_old'
        ? { status: 401, body: { error: { code: 'unauthorized', message: 'The visitor token has expired: open a new session.' } } }
        : undefined,
    );
    const { root } = make({ userId: 'u1', userHash: 'h1' });
    $(root, 'button.launcher').click();
    send(root, 'still there?');
    await until(() => expect($(root, '.msg.me .meta').textContent).toContain('Sent'));
    expect(server.messages).toBe(1);
    expect(bubbles(root).filter((b) => b === 'me:still there?')).toHaveLength(1);
    // The same signed-in user: the new session is asked for with their id (same contact).
    expect(server.calls.filter((c) => c.path === '/widget/v1/sessions').every((c) => (c.body as { user_id?: string }).user_id === 'u1')).toBe(true);
    expect(JSON.parse(kv.getItem('baton:demo')!).token).not.toBe('btv_old');
    expect($(root, '.banner').hidden).toBe(true);
  });

  it('forgets the session of another signed-in user', async () => {
    kv.setItem('baton:demo', JSON.stringify({ session_id: 'web:s', token: 'btv_9', conversation_id: 'c9', user_id: 'alice', seqs: {}, read: {}, offline: {} }));
    make({ userId: 'bob', userHash: 'h' });
    await new Promise((r) => setTimeout(r, 10));
    expect(kv.getItem('baton:demo')).toBeNull();
    expect(server.calls.some((c) => c.auth === 'Bearer btv_9')).toBe(false);
  });
});
