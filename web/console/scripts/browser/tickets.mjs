// Tickets: one created from a conversation, the Tickets page's filters and edit form, and
// the way back to the conversation in the inbox.
import { join } from 'node:path';
import { assert, extraShot, http, shots, step, waitFor } from './harness.mjs';

export async function tickets(t) {
  const { page, api, adminToken, bobId, adminMe, adminFull, mariaConv, anonConv, dismissToasts } = t;
  let ticketId = '';
  let solvedId = '';
  await step('Create Ticket from the conversation; it opens on the Tickets page (T1)', async () => {
    // Two older tickets, so the list has company (one solved, one from the offline form's kind of request).
    const t1 = await http(api, 'POST', '/api/v1/tickets', { token: adminToken, body: { subject: 'Refund for a duplicate charge', description: 'Charged twice on 3 March.', priority: 'urgent', conversation_ids: [anonConv] } });
    assert(t1.status === 201, 'seed ticket: ' + t1.status + ' ' + t1.text);
    solvedId = t1.json.id;
    await http(api, 'PATCH', `/api/v1/tickets/${solvedId}`, { token: adminToken, body: { status: 'solved' } });
    await http(api, 'POST', '/api/v1/tickets', { token: adminToken, body: { subject: 'Call back about the invoice address', priority: 'low', assignee_id: bobId } });
    const side = page.getByRole('complementary', { name: 'Conversation details' });
    await side.getByRole('tab', { name: 'Related tickets' }).click();
    await side.getByText('No related tickets').waitFor();
    await side.getByRole('button', { name: 'Create Ticket' }).click();
    await side.getByLabel('Subject').fill('Order #1234 never arrived');
    await side.getByLabel('Description').fill('Courier lost the parcel; customer wants a refund.');
    await side.getByLabel('Priority').selectOption('high');
    await side.getByRole('button', { name: 'Create Ticket' }).click();
    await page.getByText(/Ticket #\d+ created\./).waitFor();
    const link = side.getByRole('link', { name: /Order #1234 never arrived/ });
    await link.waitFor();
    await extraShot(page, 'related-tickets');
    const linked = await http(api, 'GET', `/api/v1/conversations/${mariaConv}/tickets`, { token: adminToken });
    assert(linked.json.tickets.length === 1 && linked.json.tickets[0].priority === 'high', 'linked: ' + linked.text);
    ticketId = linked.json.tickets[0].id;
    await link.click();
    await page.waitForURL(`**/app/tickets/${ticketId}`);
    await page.getByRole('heading', { name: /^Ticket #\d+$/ }).waitFor();
    const conv = page.getByRole('region', { name: 'Conversations' }).or(page.locator('section[aria-labelledby="ticket-convs"]')).first();
    await conv.getByText('Maria Lopez').waitFor();
    await page.locator(`[data-ticket-id="${ticketId}"]`).waitFor();
    await dismissToasts(page);
    await page.screenshot({ path: join(shots, 'console-tickets.png') });
  });

  await step('the Tickets page filters, edits a ticket and opens its conversation in the inbox', async () => {
    await page.getByLabel('Status', { exact: true }).first().selectOption('solved');
    await page.locator(`[data-ticket-id="${solvedId}"]`).waitFor();
    await waitFor(async () => (await page.locator('[data-ticket-id]').count()) === 1, 5000, 'only the solved ticket');
    await page.getByLabel('Priority', { exact: true }).first().selectOption('low');
    await page.getByText('No tickets match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.locator(`[data-ticket-id="${ticketId}"]`).waitFor();
    await page.getByPlaceholder('Search subject, description or #number').fill('never arrived');
    await page.locator(`[data-ticket-id="${ticketId}"]`).waitFor();
    const form = page.getByRole('form', { name: 'Edit ticket' });
    await form.getByLabel('Status').selectOption('pending');
    await form.getByLabel('Assignee').selectOption({ label: adminFull });
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Ticket saved.').waitFor();
    const t = await http(api, 'GET', `/api/v1/tickets/${ticketId}`, { token: adminToken });
    assert(t.json.status === 'pending' && t.json.assignee?.id === adminMe.json.id, 'saved: ' + t.text);
    await page.getByRole('link', { name: 'Open in inbox' }).click();
    await page.waitForURL(`**/app/conversations/${mariaConv}`);
    await page.getByRole('heading', { name: 'Maria Lopez' }).waitFor();
    await page.getByRole('complementary', { name: 'Conversation details' }).getByRole('tab', { name: 'Details' }).click();
  });
}
