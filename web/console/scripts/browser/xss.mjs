// The XSS corpus (K4): hostile text through every way in (the widget, the Telegram webhook,
// an email) is stored unchanged, shown literally and never run.
import { assert, http, step, waitFor } from './harness.mjs';

export async function xssCorpus(t) {
  const { page, api, adminToken, fake, emailSecret, rawPost, listed, findConv } = t;
  // ---- XSS corpus (K4): hostile text through every way in, shown literally, never run ----
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  const corpus = [
    '<img src=x onerror=alert(1)>',
    '<script>window.__xss=1</script>',
    '"><svg onload=alert(1)>',
    '<a href="javascript:window.__xss=1">click me</a>',
    'javascript:window.__xss=1',
    "{{constructor.constructor('window.__xss=1')()}}",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<style>body{display:none}</style><b onmouseover=alert(1)>bold</b>',
    '\u202Egnp.exe\u202C RTL override \u2067isolate\u2069 \u200Fmark',
    '${alert(1)} `x` </textarea><img src=x onerror=alert(1)>',
    'A'.repeat(2500) + '<img src=x onerror=alert(1)>' + 'B'.repeat(2472),
  ];
  assert(corpus.at(-1).length === 5000, '5,000 characters');
  const noExecution = async (where) => {
    await page.waitForTimeout(300);
    assert((await page.evaluate(() => window.__xss)) === undefined, `window.__xss stays undefined (${where})`);
    assert(dialogs.length === 0, `no dialog opened (${where}): ` + dialogs.join(' | '));
    const msgs = page.locator('[data-testid="messages"]');
    const found = await msgs.evaluate((el) => el.querySelectorAll('img[src="x"], script, iframe, svg[onload], a[href^="javascript:"], style, b[onmouseover]').length);
    assert(found === 0, `no element made from the text (${where}): ${found}`);
  };
  // The text the console shows must be the text the server stored, character for character.
  const storedVisitorTexts = async (id) => {
    const r = await http(api, 'GET', `/api/v1/conversations/${id}/messages?limit=100`, { token: adminToken });
    return r.json.messages.filter((m) => m.kind === 'visitor').map((m) => m.content);
  };
  const assertThread = async (id, payloads, where) => {
    await page.goto(`/app/conversations/${id}`);
    await page.locator('[data-kind="visitor"]').first().waitFor();
    const stored = await storedVisitorTexts(id);
    for (const p of payloads) assert(stored.includes(p), `${where}: the server stored the payload unchanged: ${JSON.stringify(p.slice(0, 60))}`);
    await waitFor(async () => (await page.locator('[data-kind="visitor"] .text').count()) >= payloads.length, 10000, 'all visitor messages');
    const shown = await page.locator('[data-kind="visitor"] .text').allTextContents();
    for (const p of payloads) assert(shown.includes(p), `${where}: shown literally: ${JSON.stringify(p.slice(0, 60))}`);
    await noExecution(where);
  };

  await step('XSS corpus: hostile visitor messages and names from the widget show literally and never run (K4)', async () => {
    const s1 = await http(api, 'POST', '/widget/v1/sessions', { body: { chatbot: 'demo', name: corpus[0] } });
    assert(s1.status === 201, 'session: ' + s1.status + ' ' + s1.text);
    let id = '';
    for (const p of corpus) {
      const r = await http(api, 'POST', '/widget/v1/messages', { token: s1.json.token, body: { content: p } });
      assert(r.status === 201, `message ${JSON.stringify(p.slice(0, 30))}: ${r.status} ${r.text}`);
      id = r.json.conversation_id;
    }
    await assertThread(id, corpus, 'widget');
    assert((await page.getByRole('heading', { level: 1 }).first().textContent()) === corpus[0], 'the name in the header, literally');
    const row = page.locator(`[data-conversation-id="${id}"]`);
    assert((await row.locator('.name').textContent()) === corpus[0], 'the name in the list, literally');
    const last = (await listed()).find((c) => c.id === id)?.last_message ?? '';
    assert((await row.locator('.text').textContent()) === last, 'the last message in the list, literally');
    const s2 = await http(api, 'POST', '/widget/v1/sessions', { body: { chatbot: 'demo', name: corpus[2] } });
    const r2 = await http(api, 'POST', '/widget/v1/messages', { token: s2.json.token, body: { content: corpus[3] } });
    await assertThread(r2.json.conversation_id, [corpus[3]], 'widget, second visitor');
    const row2 = page.locator(`[data-conversation-id="${r2.json.conversation_id}"]`);
    assert((await row2.locator('.name').textContent()) === corpus[2], 'second name literally');
    const last2 = (await listed()).find((c) => c.id === r2.json.conversation_id)?.last_message ?? '';
    assert((await row2.locator('.text').textContent()) === last2, 'the last message in the list, literally: ' + last2);
    await noExecution('widget list');
  });

  await step('XSS corpus: the same payloads through the Telegram webhook (text and sender name) show literally and never run (K4)', async () => {
    const secret = fake.state.telegram.webhooks.at(-1).secret;
    let n = 1000;
    for (const p of corpus) {
      const body = JSON.stringify({ update_id: ++n, message: { message_id: n, from: { id: 7001, is_bot: false, first_name: corpus[0] }, chat: { id: 7001, type: 'private', first_name: corpus[0] }, date: Math.floor(Date.now() / 1000), text: p } });
      const r = await rawPost('/hooks/telegram/demo', body, { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret });
      assert(r.status === 200, `telegram update: ${r.status} ${await r.text()}`);
    }
    const id = await findConv((c) => c.channel === 'telegram' && c.contact?.session_id === 'tg:7001', 'the hostile Telegram conversation');
    await assertThread(id, corpus, 'telegram');
    assert((await page.locator(`[data-conversation-id="${id}"] .name`).textContent()) === corpus[0], 'the Telegram sender name in the list, literally');
    assert((await page.getByRole('heading', { level: 1 }).first().textContent()) === corpus[0], 'the Telegram sender name in the header, literally');
  });

  await step('XSS corpus: an email with a hostile subject, sender name and body shows literally and never runs (K4, C5)', async () => {
    const subject = '<script>window.__xss=1</script> Order "><svg onload=alert(1)>';
    const name = '<img src=x onerror=alert(1)>';
    const text = corpus[5] + ' ' + corpus[3];
    const mail = [
      `From: "${name}" <evil@example.com>`,
      'To: support@acme.test',
      `Subject: ${subject}`,
      'Message-ID: <xss-1@example.com>',
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
    ].join('\r\n');
    const r = await rawPost('/hooks/email/demo', mail, { 'Content-Type': 'message/rfc822', Authorization: 'Bearer ' + emailSecret });
    assert(r.status === 200, 'mail stored: ' + r.status + ' ' + (await r.text()));
    const id = await findConv((c) => c.channel === 'email' && c.contact?.email === 'evil@example.com', 'the email conversation');
    const conv = (await http(api, 'GET', `/api/v1/conversations/${id}`, { token: adminToken })).json;
    await assertThread(id, [text], 'email');
    assert(conv.subject === subject, 'the server kept the subject: ' + JSON.stringify(conv.subject));
    assert((await page.locator('.head .subject').textContent()) === subject, 'the subject in the header, literally');
    const row = page.locator(`[data-conversation-id="${id}"]`);
    assert((await row.locator('.subject').textContent()) === subject, 'the subject in the list, literally');
    assert((await row.locator('.name').textContent()) === conv.contact.name && conv.contact.name === name, 'the sender name literally: ' + conv.contact.name);
    await noExecution('email');
  });
}
