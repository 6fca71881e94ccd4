// Post-chat analysis: the chatbot's analysis fields in settings, and the Analysis tab of a
// conversation (SPEC §4).
import { assert, extraShot, http, step } from './harness.mjs';

export async function analysis(t) {
  const { page, api, adminToken, shot, side } = t;
  await step('settings: the chatbot\'s analysis fields are checked, saved and ordered (P1)', async () => {
    const card = page.locator('form[aria-labelledby="fields-title"]');
    await card.getByRole('heading', { name: 'Analysis fields' }).waitFor();
    await card.getByText('No fields yet').waitFor();
    await card.getByRole('button', { name: 'Add field' }).click();
    await card.getByLabel('Field name').fill('Order Number');
    await card.getByRole('button', { name: 'Save fields' }).click();
    await card.getByText(/Lowercase letters, digits and _/).waitFor();
    await card.getByLabel('Field name').fill('order_number');
    await card.getByLabel('Description').fill('The order number the visitor asks about');
    await card.getByLabel('Pattern (optional)').fill('#?(\\d{4,})');
    await card.getByRole('button', { name: 'Add field' }).click();
    await card.getByLabel('Field name').nth(1).fill('refund_wanted');
    await card.getByLabel('Type').nth(1).selectOption('boolean');
    await card.getByRole('button', { name: 'Move refund_wanted up' }).click();
    await card.getByRole('button', { name: 'Move refund_wanted down' }).click();
    await extraShot(page, 'analysis-fields');
    await card.getByRole('button', { name: 'Save fields' }).click();
    await page.getByText('Analysis fields saved.').waitFor();
    const r = await http(api, 'GET', '/api/v1/chatbots/demo/analysis-fields', { token: adminToken });
    const f = r.json.fields;
    assert(f.length === 2 && f[0].name === 'order_number' && f[0].pattern === '#?(\\d{4,})' && f[1].name === 'refund_wanted' && f[1].type === 'boolean', 'saved: ' + r.text);
  });

  await step('the Analysis tab says "No analysis yet"; Analyse now shows the summary, sentiment and extracted data (P1)', async () => {
    const olivia = await http(api, 'POST', '/widget/v1/sessions', { body: { chatbot: 'demo', name: 'Olivia Chen', email: 'olivia@example.com' } });
    const m = await http(api, 'POST', '/widget/v1/messages', { token: olivia.json.token, body: { content: 'My order #5521 arrived broken. This is terrible, I am very unhappy and want a refund.' } });
    assert(m.status === 201, 'visitor message: ' + m.status);
    const id = m.json.conversation_id;
    await page.goto(`/app/conversations/${id}`);
    await page.getByRole('heading', { name: 'Olivia Chen' }).waitFor();
    await side.getByRole('tab', { name: 'Analysis' }).click();
    await side.getByText('No analysis yet').waitFor();
    // The result comes with the socket's analysis_updated frame: the tab reads it once.
    let reads = 0;
    const countReads = (req) => {
      if (req.method() === 'GET' && new URL(req.url()).pathname === `/api/v1/conversations/${id}/analysis`) reads++;
    };
    page.on('request', countReads);
    await side.getByRole('button', { name: 'Analyse now' }).click();
    await side.getByRole('heading', { name: 'Summary' }).waitFor({ timeout: 20000 });
    page.off('request', countReads);
    assert(reads === 0, `the tab read the analysis ${reads} times after asking for it: it should have come with the frame`);
    const badge = side.locator('[data-sentiment]');
    const label = await badge.getAttribute('data-sentiment');
    assert(['positive', 'neutral', 'negative'].includes(label), 'sentiment: ' + label);
    assert(/score [+−]?\d\.\d\d/.test(await side.locator('.sentiment').textContent()), 'score shown');
    const an = (await http(api, 'GET', `/api/v1/conversations/${id}/analysis`, { token: adminToken })).json;
    assert(an.status === 'done' && an.summary, 'analysis: ' + JSON.stringify(an));
    assert((await side.locator('.summary').textContent()) === an.summary, 'the summary as text');
    const order = side.locator('dl.fields div', { hasText: 'Order number' }).first();
    await order.waitFor();
    const want = an.fields.find((x) => x.name === 'order_number')?.value;
    assert(want && (await order.locator('dd').textContent()) === String(want), 'order number: ' + (await order.textContent()) + ' vs ' + want);
    await side.getByText(/Analysed .* by the Built-in analyser/).waitFor();
    await shot(page, 'analysis');
    await side.getByRole('tab', { name: 'Details' }).click();
  });
}
