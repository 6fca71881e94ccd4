// Two signed-in agents (issue 19): a conversation routed to the second agent, Bob, shows in
// Bob's own list as his, with its status, the visitor's name, the last message and the unread
// dot, without a reload; a change made by a teammate shows live; and a change made while
// Bob's socket was down shows once it reconnects (the list is re-read).
import { assert, http, log, skip, step, waitFor } from './harness.mjs';

// Keeps the page's sockets within reach, and lets the test hold them down: while
// window.__wsBlocked is set, a new socket goes to a closed port and fails.
function trackSockets() {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.__wsBlocked = false;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(window.__wsBlocked ? 'ws://127.0.0.1:9/blocked' : url, protocols);
      window.__sockets.push(this);
    }
  };
}

export async function twoAgents(t) {
  const { api, adminToken, bobId, bobPage, bobContext, wsAvailable } = t;
  const name = 'two-agents: a conversation routed to Bob shows in his list as his, named, with its status, last message and unread dot (no reload)';
  if (!wsAvailable || !bobPage) {
    skip(name, 'no agent socket or no second agent context');
    return;
  }
  let conv = '';
  const row = () => bobPage.locator(`[data-conversation-id="${conv}"]`);
  const rowText = async (sel) => ((await row().locator(sel).first().textContent()) ?? '').trim();

  await step(name, async () => {
    // Routing offers to the least-loaded online agent: the admin steps away and Bob has seats.
    const away = await http(api, 'PATCH', '/api/v1/me', { token: adminToken, body: { availability: 'away' } });
    assert(away.status === 200, 'admin away: ' + away.status + ' ' + away.text);
    const cap = await http(api, 'PATCH', `/api/v1/users/${bobId}`, { token: adminToken, body: { capacity: 20 } });
    assert(cap.status === 200, 'Bob capacity: ' + cap.status + ' ' + cap.text);
    // Bob's console, opened afresh with its sockets tracked (before any of the events below).
    await bobContext.addInitScript(trackSockets);
    await bobPage.goto('/app/');
    await bobPage.locator('[data-conversation-id]').first().waitFor();
    await waitFor(() => bobPage.evaluate(() => window.__sockets.some((s) => s.readyState === 1)), 10000, "Bob's socket to open");

    const v = await http(api, 'POST', '/widget/v1/sessions', { body: { chatbot: 'demo', name: 'Rita Stone' } });
    assert(v.status === 201, 'visitor session: ' + v.status + ' ' + v.text);
    t.rita = v.json;
    const m1 = await http(api, 'POST', '/widget/v1/messages', { token: v.json.token, body: { content: 'My parcel never came.' } });
    assert(m1.status === 201, 'visitor message: ' + m1.status + ' ' + m1.text);
    conv = t.ritaConv = m1.json.conversation_id;
    const m2 = await http(api, 'POST', '/widget/v1/messages', { token: v.json.token, body: { content: 'Can I talk to a human?' } });
    assert(m2.status === 201, 'handoff message: ' + m2.status + ' ' + m2.text);
    const c = await waitFor(async () => {
      const r = await http(api, 'GET', `/api/v1/conversations/${conv}`, { token: adminToken });
      return r.json?.assignee?.id === bobId ? r.json : null;
    }, 15000, 'the handoff to be routed to Bob');
    log(`routed to Bob: status ${c.status}, last message ${JSON.stringify(c.last_message)}`);

    // Bob's list, live: his name as assignee, the waiting status, the visitor's name.
    await row().waitFor({ timeout: 10000 });
    await waitFor(async () => (await rowText('.assignee')) === 'Bob', 10000, `Bob as the row's assignee (shows "${await rowText('.assignee').catch(() => '?')}")`);
    await waitFor(async () => (await row().locator(`.badge.${c.status}`).count()) === 1, 5000, `the ${c.status} status on the row`);
    assert((await rowText('.name')) === 'Rita Stone', 'the visitor is named: ' + (await rowText('.name')));
    // The visitor writes again: the preview and the unread dot follow.
    const m3 = await http(api, 'POST', '/widget/v1/messages', { token: v.json.token, body: { content: 'Order 5678, please hurry.' } });
    assert(m3.status === 201, 'visitor message: ' + m3.status);
    await waitFor(async () => (await rowText('.text')) === 'Order 5678, please hurry.', 5000, 'the last message on the row');
    await waitFor(async () => (await row().locator('.dot').count()) === 1, 5000, 'the unread dot');
    assert(await row().evaluate((el) => el.classList.contains('unread')), 'the row is unread');
  });

  await step("two-agents: a teammate's change (priority) shows live in Bob's list", async () => {
    assert(conv, 'no conversation from the step before');
    const up = await http(api, 'PATCH', `/api/v1/conversations/${conv}`, { token: adminToken, body: { priority: 'high', tags: ['lost-parcel'] } });
    assert(up.status === 200, 'update: ' + up.status + ' ' + up.text);
    await waitFor(async () => (await row().locator('.prio.high').count()) === 1, 5000, 'the High priority on the row');
    assert((await rowText('.assignee')) === 'Bob', 'still Bob: ' + (await rowText('.assignee')));
  });

  await step("two-agents: a reconnect re-syncs Bob's list with what changed while the socket was down", async () => {
    assert(conv, 'no conversation from the step before');
    const before = await bobPage.evaluate(() => window.__sockets.length);
    // Down: the open socket closes and new ones fail until unblocked.
    await bobPage.evaluate(() => {
      window.__wsBlocked = true;
      for (const s of window.__sockets) s.close();
    });
    await bobPage.getByText(/Reconnecting|Offline|Connection lost/i).first().waitFor({ timeout: 5000 }).catch(() => {});
    const up = await http(api, 'PATCH', `/api/v1/conversations/${conv}`, { token: adminToken, body: { priority: 'urgent' } });
    assert(up.status === 200, 'update: ' + up.status + ' ' + up.text);
    const m = await http(api, 'POST', '/widget/v1/messages', { token: t.rita.token, body: { content: 'Hello? Anyone there?' } });
    assert(m.status === 201, 'visitor message: ' + m.status);
    await bobPage.waitForTimeout(300);
    assert((await row().locator('.prio.urgent').count()) === 0, 'the change did not reach Bob while his socket was down');
    assert((await rowText('.text')) === 'Order 5678, please hurry.', 'no live update while down: ' + (await rowText('.text')));
    // Up again: the browser is back online, the socket reconnects and the list is re-read.
    await bobPage.evaluate(() => {
      window.__wsBlocked = false;
      window.dispatchEvent(new Event('online'));
    });
    await waitFor(() => bobPage.evaluate((n) => window.__sockets.slice(n).some((s) => s.readyState === 1), before), 15000, 'the socket to reopen');
    await waitFor(async () => (await row().locator('.prio.urgent').count()) === 1, 10000, 'the Urgent priority after the re-sync');
    await waitFor(async () => (await rowText('.text')) === 'Hello? Anyone there?', 5000, 'the last message after the re-sync');
    assert((await rowText('.assignee')) === 'Bob' && (await rowText('.name')) === 'Rita Stone', 'assignee and name kept');
    assert((await row().locator('.dot').count()) === 1, 'still unread');
  });

  await step('two-agents: no unexpected console errors', async () => {
    // The sockets the test refused on purpose log their failure.
    const errors = t.consoleErrors.filter((e) => !/127\.0\.0\.1:9\/blocked/.test(e));
    assert(errors.length === 0, errors.join('\n'));
  });
}
