// End-to-end test of the agent console in a real Chromium against a real Baton server.
//
//   npm run test:browser        (after `npm run build`; needs Go and Debian's chromium)
//
// It builds ./cmd/baton, starts it on a free port with a temporary data dir, drives the
// console through sign-in, the list, a thread, Join/Accept, a reply, a canned response
// inserted with "/", a note with an @mention (seen by the mentioned teammate's console, a
// second browser context), an image attachment, a ticket created from the conversation and
// seen on the Tickets page, Return to AI, Close and Reopen, a transfer to the teammate,
// settings (canned responses, labels, queues, chatbot AI and knowledge), checks the visitor
// side, an XSS payload, the handoff notification, measures a 10,000-row list, and saves
// screenshots to $BATON_SCREENSHOTS (default a temporary folder; `make screenshots` points it at
// docs/screenshots). Then the integrations: a chatbot's analysis fields and
// the Analysis tab, the Channels page (Telegram, WhatsApp, email against fake providers this
// script serves: the Bot API, the Graph API and an SMTP server), WhatsApp templates, live
// delivery ticks, the 24-hour window and the template picker, webhooks with their delivery
// log, and an XSS corpus through the widget, Telegram and email. Last, two agents' lists: a
// conversation routed to the teammate shows as theirs in their own list, live, and a
// reconnect re-syncs it. The server is always stopped. Environment:
//   BATON_CHROMIUM   path of the browser (default /usr/bin/chromium; never downloaded)
//   BATON_KEEP=1     keep the temporary directory
//   BATON_EXTRA_SHOTS=dir  also save screenshots of dialogs and settings pages there (for review)
//
// The steps live by area under browser/ (harness.mjs: the server, the browser and step();
// fakes.mjs: the providers); this runner runs them in order, passing the run's state, t, along.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect, dist, integrationHelpers, log, openBrowser, results, seed, startServer, stop } from './browser/harness.mjs';
import { conversationActions, signIn, thread } from './browser/inbox-and-thread.mjs';
import { cannedResponses, settingsPages } from './browser/settings.mjs';
import { tickets } from './browser/tickets.mjs';
import { analysis } from './browser/analysis.mjs';
import { delivery, disconnect, setUpChannels } from './browser/channels.mjs';
import { webhooks } from './browser/webhooks.mjs';
import { xssCorpus } from './browser/xss.mjs';
import { sessionAndScale } from './browser/session.mjs';
import { twoAgents } from './browser/two-agents.mjs';

async function main() {
  if (!existsSync(join(dist, 'index.html'))) {
    console.error('dist/index.html is missing: run `npm run build` first.');
    process.exit(2);
  }
  const executablePath = process.env.BATON_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    console.error(`No browser at ${executablePath}: apt-get install -y chromium, or set BATON_CHROMIUM.`);
    process.exit(2);
  }
  const t = await startServer();
  try {
    await connect(t);
    await seed(t);
    await openBrowser(t, executablePath);

    await signIn(t);
    await cannedResponses(t);
    await thread(t);
    await tickets(t);
    await conversationActions(t);
    await settingsPages(t);

    // ---- Integrations: analysis, channels, templates, ticks, webhooks (SPEC §4, §9, §10) ----
    integrationHelpers(t);
    await analysis(t);
    await setUpChannels(t);
    await webhooks(t);
    await delivery(t);
    await xssCorpus(t);
    await disconnect(t);

    await sessionAndScale(t);
    await twoAgents(t);
  } catch (err) {
    results.failed++;
    log('FAIL setup', err?.stack ?? err);
    log('server log:\n' + t.serverLog.join('').split('\n').slice(-30).join('\n'));
  } finally {
    await stop(t);
  }
  console.log(`\n${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
  if (results.failures.length) console.log('failed: ' + results.failures.join('; '));
  process.exit(results.failed ? 1 : 0);
}

main();
