// Browser test of the widget against the real server: builds `baton`, starts it on a free
// loopback port with a fresh data dir, drives Debian's chromium (never a downloaded
// browser) through /demo, and saves screenshots widget-*.png to $BATON_SCREENSHOTS (default
// a temporary folder; `make screenshots` points it at docs/screenshots).
//
//   npm run test:browser
//
// Environment: BATON_CHROMIUM (default /usr/bin/chromium); BATON_REPO (the Go module to
// build, default the repository this file is in). The server is stopped in every case.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const WIDGET = resolve(HERE, '..');
const REPO = resolve(process.env.BATON_REPO || resolve(WIDGET, '../..'));
// Screenshots go outside the tree (the test must leave git clean); `make screenshots` sets
// BATON_SCREENSHOTS to docs/screenshots to refresh the README's pictures.
const SHOTS = process.env.BATON_SCREENSHOTS || join(tmpdir(), 'baton-screenshots');
const CHROMIUM = process.env.BATON_CHROMIUM || '/usr/bin/chromium';
const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = 'widget-browser-test-' + Math.random().toString(36).slice(2, 10);
const TEST_BUDGET_MS = 120_000; // Server start to the end, build excluded.
const AGENT_TEXT = 'Hello from Ana <b>bold</b>';

let passed = 0;
let failed = 0;
let server = null;
let browser = null;
const tmp = mkdtempSync(join(tmpdir(), 'baton-widget-'));
const serverLog = [];

function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`  ✓ ${name}`);
  } else {
    failed++;
    console.log(`  ✗ ${name}${detail ? ': ' + detail : ''}`);
  }
  return ok;
}

class Stop extends Error {}

/** A check the rest of the test depends on. */
function must(name, ok, detail) {
  if (!check(name, ok, detail)) throw new Stop(name);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitReady(base, child) {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
    try {
      const r = await fetch(base + '/readyz');
      if (r.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(150);
  }
  throw new Error('the server was not ready within 30 s');
}

async function api(base, method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

function stopServer() {
  if (!server || server.exitCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const kill = setTimeout(() => {
      try {
        server.kill('SIGKILL');
      } catch {
        // Gone.
      }
    }, 5000);
    server.once('exit', () => {
      clearTimeout(kill);
      res();
    });
    server.kill('SIGTERM');
  });
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  await stopServer();
  rmSync(tmp, { recursive: true, force: true });
}

async function main() {
  console.log('widget browser test');
  must(`chromium exists at ${CHROMIUM}`, existsSync(CHROMIUM), 'install it with `apt-get install -y chromium` or set BATON_CHROMIUM');

  if (!existsSync(join(WIDGET, 'dist/widget.js'))) {
    console.log('  … dist/widget.js is missing: npm run build');
    const b = spawnSync('npm', ['run', 'build'], { cwd: WIDGET, stdio: 'inherit' });
    must('the widget builds', b.status === 0);
  }

  console.log(`  … go build ./cmd/baton (in ${REPO})`);
  const bin = join(tmp, 'baton');
  const build = spawnSync('go', ['build', '-o', bin, './cmd/baton'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
  must('the server builds', build.status === 0, `go build exited ${build.status}`);

  const budget = setTimeout(() => {
    console.log(`  ✗ the test took longer than ${TEST_BUDGET_MS / 1000} s`);
    failed++;
    void cleanup().finally(() => finish());
  }, TEST_BUDGET_MS);
  budget.unref();

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', join(tmp, 'data'), '--log-level', 'warn'], {
    env: { ...process.env, BATON_ADMIN_EMAIL: ADMIN_EMAIL, BATON_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const s of [server.stdout, server.stderr]) s.on('data', (d) => serverLog.push(String(d)));
  await waitReady(base, server);
  check('the server is ready', true);

  const js = await fetch(base + '/widget.js');
  must('GET /widget.js answers 200 with JavaScript', js.ok && /javascript/.test(js.headers.get('content-type') ?? ''),
    `status ${js.status}: mount widget.Handler() on GET /widget.js and GET /demo in cmd/baton`);
  const demo = await fetch(base + '/demo');
  must('GET /demo answers 200 with HTML', demo.ok && /html/.test(demo.headers.get('content-type') ?? ''), `status ${demo.status}`);

  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const pageErrors = [];
  const dialogs = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });

  await page.goto(base + '/demo');
  const launcher = page.locator('#baton-widget button.launcher');
  await launcher.waitFor();
  check('the launcher shows on the demo page', await launcher.isVisible());
  check('the launcher is labelled', (await launcher.getAttribute('aria-label')) === 'Open chat');
  await page.screenshot({ path: join(SHOTS, 'widget-closed.png'), animations: 'disabled' });

  await launcher.click();
  const panel = page.locator('#baton-widget .panel');
  await panel.waitFor({ state: 'visible' });
  check('the launcher opens the panel', true);
  const input = page.locator('#baton-widget textarea#baton-input');
  check('focus moves to the message box', await input.evaluate((el) => el.getRootNode().activeElement === el));

  // The page's own CSS (serif fonts, uppercase orange buttons) must not reach the widget.
  const styles = await page.locator('#baton-widget .send').evaluate((el) => {
    const s = getComputedStyle(el);
    return { font: s.fontFamily, transform: s.textTransform, border: s.borderTopWidth };
  });
  check("the page's styles do not leak into the widget", !/Courier|Georgia/.test(styles.font) && styles.transform === 'none' && styles.border === '0px',
    JSON.stringify(styles));

  const bots = page.locator('#baton-widget .log .msg.bot');
  const botsBefore = await bots.count();

  await input.fill('What is Baton?');
  await input.press('Enter');
  const mine = page.locator('#baton-widget .log .msg.me').filter({ hasText: 'What is Baton?' });
  await mine.first().waitFor();
  check('the visitor message shows at once', (await mine.count()) === 1);
  await page.locator('#baton-widget .log .msg.me.sent').first().waitFor();
  check('the visitor message is delivered (Sent)', true);
  await bots.nth(botsBefore).waitFor({ timeout: 20_000 });
  const answer = (await bots.nth(botsBefore).locator('.bubble').textContent()) ?? '';
  check('the bot answers in a bubble labelled AI', answer.trim().length > 0 && (await bots.nth(botsBefore).locator('.ai').textContent()) === 'AI', answer);
  check('the visitor message shows once (echo de-duplicated)', (await mine.count()) === 1);
  await page.waitForFunction(() => window.BatonWidget?.connection === 'open', null, { timeout: 10_000 }).catch(() => {});
  check('the visitor socket is connected', (await page.evaluate(() => window.BatonWidget?.connection)) === 'open',
    String(await page.evaluate(() => window.BatonWidget?.connection)));
  await page.screenshot({ path: join(SHOTS, 'widget-bot.png'), animations: 'disabled' });

  await input.fill('I want to talk to a human');
  await input.press('Enter');
  await page.locator('#baton-widget .log .msg.me.sent').filter({ hasText: 'I want to talk to a human' }).waitFor();
  check('the second message is delivered', true);

  // The agent side, over the REST API.
  const login = await api(base, 'POST', '/api/v1/session', null, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  must('the admin signs in', login.status === 200 && !!login.json?.token, login.text);
  const token = login.json.token;
  await api(base, 'PATCH', '/api/v1/me', token, { first_name: 'Ana' });
  const me = await api(base, 'GET', '/api/v1/me', token);
  const agentName = me.json?.first_name || me.json?.user?.first_name || 'Ana';
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('baton:demo') || 'null'));
  must('the widget keeps its session in localStorage', !!saved?.token && !!saved?.conversation_id, JSON.stringify(saved));
  const convId = saved.conversation_id;

  let conv = await api(base, 'GET', `/api/v1/conversations/${convId}`, token);
  must('the conversation is visible to the agent', conv.status === 200, conv.text);
  if (conv.json.status === 'bot') {
    const join = await api(base, 'POST', `/api/v1/conversations/${convId}/actions/join`, token);
    must('the agent joins', join.status < 300, join.text);
    conv = await api(base, 'GET', `/api/v1/conversations/${convId}`, token);
  }
  if (conv.json.status === 'waiting' || conv.json.status === 'offline') {
    const accept = await api(base, 'POST', `/api/v1/conversations/${convId}/actions/accept`, token);
    must('the agent accepts', accept.status < 300, accept.text);
  }
  const reply = await api(base, 'POST', `/api/v1/conversations/${convId}/messages`, token, { content: AGENT_TEXT });
  must('the agent replies', reply.status === 201 || reply.status === 200, reply.text);

  const agentMsg = page.locator('#baton-widget .log .msg.agent').last();
  await agentMsg.waitFor({ timeout: 20_000 });
  const agentText = await agentMsg.locator('.bubble').textContent();
  check('the agent message shows literally (tags as text)', agentText === AGENT_TEXT, JSON.stringify(agentText));
  check('no element comes from the message text', (await agentMsg.locator('.bubble b').count()) === 0);
  check("the agent bubble carries the agent's name", (await agentMsg.locator('.label').textContent()) === agentName,
    await agentMsg.locator('.label').textContent());
  await page.locator('#baton-widget .sub', { hasText: `${agentName} is here` }).waitFor();
  check('the header says the agent is here', true);
  check('a handoff notice shows', (await page.locator('#baton-widget .log .notice').count()) > 0);
  await page.screenshot({ path: join(SHOTS, 'widget-agent.png'), animations: 'disabled' });

  // An XSS corpus, from the agent side and typed by the visitor: every payload shows as the
  // literal text it is, nothing runs, no element comes from it.
  const CORPUS = [
    '<img src=x onerror="window.__xss=1">',
    '<script>window.__xss=2</script>',
    '"><svg onload="window.__xss=3">',
    '<a href="javascript:window.__xss=4">click me</a>',
    "{{constructor.constructor('window.__xss=5')()}}",
    '<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
    '\u202eevil.exe \u202c<b>rtl</b>',
    '&lt;b&gt;entities stay as typed&lt;/b&gt; &amp; &#60;i&#62;',
  ];
  // One message (agents may send one every 3 seconds, M3).
  const hostile = CORPUS.join('\n');
  await new Promise((r) => setTimeout(r, 3100));
  const sentHostile = await api(base, 'POST', `/api/v1/conversations/${convId}/messages`, token, { content: hostile });
  must('the agent sends the hostile payloads', sentHostile.status === 201 || sentHostile.status === 200, sentHostile.text);
  const hostileBubble = page.locator('#baton-widget .log .msg.agent .bubble').filter({ hasText: 'onerror' }).last();
  await hostileBubble.waitFor({ timeout: 20_000 });
  check('every hostile agent payload shows literally', (await hostileBubble.textContent()) === hostile, await hostileBubble.textContent());
  await input.fill(CORPUS[0] + ' ' + CORPUS[1]);
  await input.press('Enter');
  const typed = page.locator('#baton-widget .log .msg.me.sent .bubble').filter({ hasText: '<img src=x' }).last();
  await typed.waitFor({ timeout: 20_000 });
  check("the visitor's own hostile text shows literally", (await typed.textContent()) === CORPUS[0] + ' ' + CORPUS[1], await typed.textContent());
  const injected = await page.evaluate(() => {
    const root = document.querySelector('#baton-widget')?.shadowRoot ?? document.querySelector('#baton-widget');
    const log = root?.querySelector('.log');
    return { xss: window.__xss ?? null, elements: log ? log.querySelectorAll('.bubble img, .bubble script, .bubble svg, .bubble iframe, .bubble a[href^="javascript"], .bubble b').length : -1 };
  });
  check('no payload ran and none became an element', injected.xss === null && injected.elements === 0 && dialogs.length === 0,
    JSON.stringify({ ...injected, dialogs }));

  const before = await page.locator('#baton-widget .log .msg').allTextContents();
  await page.reload();
  await page.locator('#baton-widget button.launcher').click();
  await page.locator('#baton-widget .log .msg.agent .bubble', { hasText: AGENT_TEXT }).waitFor();
  const after = await page.locator('#baton-widget .log .msg').allTextContents();
  check('the conversation survives a reload', after.length === before.length,
    `${before.length} messages before, ${after.length} after`);
  check('the history after a reload has the bot answer', after.some((t) => t.includes(answer.trim())));
  await page.screenshot({ path: join(SHOTS, 'widget-reload.png'), animations: 'disabled' });

  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  check('Escape closes the panel', true);

  check('no script ran from message text (no dialog)', dialogs.length === 0, dialogs.join('; '));
  check('no page errors', pageErrors.length === 0, pageErrors.join('; '));

  // Mobile: the panel fills the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const mp = await phone.newPage();
  await mp.goto(base + '/demo');
  await mp.locator('#baton-widget button.launcher').click();
  await mp.waitForTimeout(400); // The opening animation.
  const box = await mp.locator('#baton-widget .panel').boundingBox();
  const near = (a, b) => Math.abs(a - b) <= 1;
  check('under 480 px the panel is full screen', !!box && near(box.x, 0) && near(box.y, 0) && near(box.width, 390) && near(box.height, 844),
    JSON.stringify(box));
  await mp.locator('#baton-widget .log .msg.bot').first().waitFor().catch(() => {});
  await mp.screenshot({ path: join(SHOTS, 'widget-mobile.png'), animations: 'disabled' });
  await phone.close();
  clearTimeout(budget);
}

function finish() {
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main()
  .catch((e) => {
    if (!(e instanceof Stop)) {
      failed++;
      console.log(`  ✗ ${e?.stack || e}`);
    }
  })
  .finally(async () => {
    if (failed) {
      const log = serverLog.join('');
      console.log(`--- server log (last 4 KB) ---\n${log.slice(-4096)}`);
    }
    await cleanup();
    finish();
  });

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});
