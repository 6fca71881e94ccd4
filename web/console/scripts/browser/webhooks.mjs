// Outgoing webhooks: a subscription with its secret shown once, a signed ping in the
// delivery log, rotate, pause and delete; and the account's message webhook (SPEC §10).
import { createHmac } from 'node:crypto';
import { assert, extraShot, http, step } from './harness.mjs';

export async function webhooks(t) {
  const { page, api, adminToken, fake, shot } = t;
  await step('webhooks: a subscription is created with its secret shown once; its ping is signed and shows in the delivery log (X5)', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByText('The URL is required.').waitFor();
    await page.getByText('Choose at least one event.').waitFor();
    await page.getByLabel('Payload URL').fill(`${fake.base}/hook/events`);
    await page.getByLabel('Description (optional)').fill('Analytics');
    await page.getByRole('checkbox', { name: /conversation\.closed/ }).check();
    await page.getByRole('checkbox', { name: /handoff\.started/ }).check();
    await extraShot(page, 'webhook-form');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByText('Copy the signing secret now.').waitFor();
    const secret = (await page.locator('[data-testid="secret-value"]').textContent()).trim();
    assert(/^whsec_/.test(secret), 'secret: ' + secret);
    const list = await http(api, 'GET', '/api/v1/webhooks', { token: adminToken });
    const w = list.json.webhooks[0];
    assert(w && w.url === `${fake.base}/hook/events` && w.events.join() === 'conversation.closed,handoff.started' && !list.text.includes(secret), 'saved: ' + list.text);
    await page.getByRole('button', { name: 'Done' }).click();
    assert((await page.locator('[data-testid="secret-value"]').count()) === 0, 'shown once');
    const item = page.locator(`li[data-webhook-id="${w.id}"]`);
    await item.getByRole('button', { name: 'Delivery log' }).click();
    await item.getByText('No deliveries yet. Send a ping to try the URL.').waitFor();
    await item.getByRole('button', { name: 'Send ping' }).click();
    const row = item.locator('tr[data-event="ping"]');
    await row.waitFor();
    await row.getByText('Succeeded').waitFor({ timeout: 15000 });
    const cells = await row.locator('td').allTextContents();
    assert(cells[2] === '200' && /ms|s$/.test(cells[3]) && cells[4].startsWith('1 /'), 'log row: ' + JSON.stringify(cells));
    const got = fake.state.hooks.find((h) => h.path === '/hook/events' && h.body.event === 'ping');
    assert(got, 'the receiver got the ping');
    const sig = 'sha256=' + createHmac('sha256', secret).update(got.raw).digest('hex');
    assert(got.headers['x-baton-signature'] === sig, 'signed with the secret: ' + got.headers['x-baton-signature']);
    // Rotate (confirmed): a new secret, shown once.
    await item.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('dialog', { name: 'Make a new signing secret?' }).getByRole('button', { name: 'Make a new secret' }).click();
    await page.getByText('Copy the signing secret now.').waitFor();
    const rotated = (await page.locator('[data-testid="secret-value"]').textContent()).trim();
    assert(/^whsec_/.test(rotated) && rotated !== secret, 'a new secret');
    await page.getByRole('button', { name: 'Done' }).click();
    // Edit: pause it.
    await item.getByRole('button', { name: 'Edit' }).click();
    await item.getByLabel('Active (deliver events to this URL)').uncheck();
    await item.getByRole('button', { name: 'Save webhook' }).click();
    await item.getByText('Paused').waitFor();
    // The handover integration: the account's message webhook, a new signing secret (confirmed), the log.
    await page.getByLabel('Message webhook URL').fill(`${fake.base}/hook/messages`);
    await page.getByRole('button', { name: 'Save message webhook' }).click();
    await page.getByText('Message webhook saved.').waitFor();
    const ints = await http(api, 'GET', '/api/v1/integrations', { token: adminToken });
    assert(ints.json.message_webhook_url === `${fake.base}/hook/messages`, 'integrations: ' + ints.text);
    await page.getByRole('button', { name: 'Reveal a new signing secret' }).click();
    await page.getByRole('dialog', { name: 'Make a new signing secret?' }).getByRole('button', { name: 'Make a new secret' }).click();
    const signing = page.locator('section[aria-labelledby="int-title"] [data-testid="secret-value"]');
    await signing.waitFor();
    assert((await signing.textContent()).trim().length >= 20, 'signing secret shown');
    await page.getByText('No handover or message webhook has been sent yet.').waitFor();
    await page.locator('section[aria-labelledby="int-title"]').getByRole('button', { name: 'Done' }).click();
    await shot(page, 'webhooks', { tall: true });
    // Delete (confirmed).
    await item.getByRole('button', { name: /Delete the webhook/ }).click();
    await page.getByRole('dialog', { name: 'Delete this webhook?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No webhooks yet.').waitFor();
  });
}
