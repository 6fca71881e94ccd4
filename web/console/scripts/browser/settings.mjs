// The settings pages: canned responses (used by the thread's steps), profile and an API
// token, labels, queues and the chatbot's default queue, and the chatbot's AI, timers,
// knowledge and embed code.
import { join } from 'node:path';
import { assert, extraShot, http, shots, step, waitFor } from './harness.mjs';

export async function cannedResponses(t) {
  const { page, api, adminToken, mariaConv, dismissToasts } = t;
  t.cannedId = '';
  await step('settings: a canned response is created (Settings → Canned responses)', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Canned responses' }).click();
    await page.getByRole('heading', { name: 'New canned response' }).waitFor();
    await page.getByLabel('Shortcut', { exact: true }).fill('thanks');
    await page.getByLabel('Title', { exact: true }).fill('Thanks for waiting');
    await page.getByLabel('Category').fill('Greetings');
    const text = page.getByLabel('Text', { exact: true });
    await text.fill('Hi {{first_name}}, thanks for waiting! I am ');
    await page.getByRole('button', { name: '{{agent_name}}' }).click(); // the variable hint inserts at the caret
    await text.press('End');
    await text.pressSequentially(' from {{chatbot_name}}.{{order_number}}');
    await page.getByRole('button', { name: 'Add canned response' }).click();
    await page.getByRole('cell', { name: '/thanks', exact: true }).waitFor();
    const list = await http(api, 'GET', '/api/v1/canned-responses', { token: adminToken });
    const c = list.json.canned_responses.find((x) => x.shortcut === 'thanks');
    assert(c && c.content === 'Hi {{first_name}}, thanks for waiting! I am {{agent_name}} from {{chatbot_name}}.{{order_number}}', 'saved: ' + JSON.stringify(c));
    assert(c.category === 'Greetings' && c.title === 'Thanks for waiting', 'category and title');
    t.cannedId = c.id;
    await dismissToasts(page);
    await page.screenshot({ path: join(shots, 'console-settings.png') });
    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.locator(`[data-conversation-id="${mariaConv}"]`).waitFor();
  });
}

export async function settingsPages(t) {
  const { page, base, api, adminToken, bobId } = t;
  await step('settings: profile and a one-time API token', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('CI token');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('Copy this token now.').waitFor();
    const tok = await page.locator('.reveal code').textContent();
    const me = await http(api, 'GET', '/api/v1/me', { token: tok.trim() });
    assert(me.status === 200, 'the new token works: ' + me.status);
  });

  await step('settings: a coloured label is added', async () => {
    await page.getByRole('link', { name: 'Labels' }).click();
    await page.getByRole('heading', { name: 'New label' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('VIP');
    await page.getByLabel('Colour', { exact: true }).fill('#f59e0b');
    await page.getByRole('button', { name: 'Add label' }).click();
    await page.getByRole('cell', { name: 'VIP', exact: true }).waitFor();
    await extraShot(page, 'labels');
    const labels = await http(api, 'GET', '/api/v1/labels', { token: adminToken });
    assert(labels.json.labels.some((l) => l.name === 'VIP' && l.color === '#f59e0b'), 'saved: ' + labels.text);
  });

  await step('settings: a queue with a member and a ring timeout, and the chatbot\'s default queue', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('heading', { name: 'New queue' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Spanish');
    await page.getByLabel('Ring timeout (seconds)').fill('30');
    await page.getByRole('checkbox', { name: /Bob/ }).check();
    await page.getByRole('button', { name: 'Add queue' }).click();
    await page.getByRole('cell', { name: '30 s', exact: true }).waitFor();
    await extraShot(page, 'queues');
    const qs = await http(api, 'GET', '/api/v1/queues', { token: adminToken });
    const q = qs.json.queues.find((x) => x.name === 'Spanish');
    assert(q && q.ring_timeout_seconds === 30 && q.member_ids.includes(bobId), 'saved: ' + qs.text);
    await page.getByRole('link', { name: 'Chatbots' }).click();
    await page.getByRole('heading', { name: 'Default queue' }).waitFor();
    await page.getByLabel('Queue', { exact: true }).selectOption({ label: 'Spanish' });
    await page.getByRole('button', { name: 'Save default queue' }).click();
    await page.getByText(/now go to the queue Spanish/).waitFor();
    await page.getByLabel('Queue', { exact: true }).selectOption({ label: 'No default queue (any online agent)' });
    await page.getByRole('button', { name: 'Save default queue' }).click();
    await page.getByText(/has no default queue now/).waitFor();
  });

  await step('settings: chatbot AI with a write-only key, timers, a knowledge entry and the embed code', async () => {
    await page.getByRole('radio', { name: /OpenAI-compatible/ }).check();
    await page.getByLabel('Base URL', { exact: true }).fill('https://llm.example.com/v1');
    await page.getByLabel('Model', { exact: true }).fill('small-model');
    await page.getByLabel('API key', { exact: true }).fill('sk-test-123');
    await page.getByRole('button', { name: 'Save AI settings' }).click();
    await page.getByText('A key is stored.').waitFor();
    assert((await page.getByLabel('API key', { exact: true }).inputValue()) === '', 'the key is never shown again');
    let bot = (await http(api, 'GET', '/api/v1/chatbots/demo', { token: adminToken })).json;
    assert(bot.ai.responder === 'openai' && bot.ai.api_key_set === true && bot.ai.model === 'small-model', 'ai saved: ' + JSON.stringify(bot.ai));
    assert(!JSON.stringify(bot).includes('sk-test-123'), 'the key never comes back');
    // Back to the built-in FAQ bot for the rest of the run.
    await page.getByRole('radio', { name: /FAQ bot/ }).check();
    await page.getByRole('button', { name: 'Save AI settings' }).click();
    await waitFor(async () => (await http(api, 'GET', '/api/v1/chatbots/demo', { token: adminToken })).json.ai.responder === 'faq', 5000, 'faq again');
    await page.getByLabel('Auto-resolve after (hours)').fill('48');
    await page.getByLabel(/Resolve when the visitor says/).check();
    await page.getByRole('button', { name: 'Save timers' }).click();
    await page.getByText('Timers saved.').waitFor();
    bot = (await http(api, 'GET', '/api/v1/chatbots/demo', { token: adminToken })).json;
    assert(bot.timers.auto_resolve_hours === 48 && bot.timers.resolve_on_thanks === true, 'timers: ' + JSON.stringify(bot.timers));
    await page.getByRole('button', { name: 'Add entry' }).click();
    await page.getByLabel('Question', { exact: true }).fill('How long does shipping take?');
    await page.getByLabel('Answer', { exact: true }).fill('Orders arrive in 3 to 5 working days.');
    await page.getByLabel('Keywords', { exact: true }).fill('shipping, delivery');
    await page.getByRole('button', { name: 'Add entry' }).click();
    await page.getByText('Knowledge entry added.').waitFor();
    const kb = await http(api, 'GET', `/api/v1/chatbots/${bot.id}/knowledge`, { token: adminToken });
    assert(kb.json.entries.some((e) => e.question === 'How long does shipping take?' && e.keywords.join() === 'shipping,delivery'), 'knowledge: ' + kb.text);
    await extraShot(page, 'chatbot-settings');
    const code = await page.locator('section[aria-labelledby="embed-title"] pre code').textContent();
    assert(code === `<script src="${base}/widget.js" data-chatbot="${bot.slug}" async></script>`, 'embed code: ' + code);
  });
}
