// The browser test's harness: paths and settings, the step runner and its tally, helpers
// the areas share (waitFor, http, makePng, extraShot), the server's build and start, the
// seed data, Chromium with the console signed out, and the teardown. Each area module under
// browser/ takes the run's shared state, t, from browser-test.mjs, which runs them in order.
import { spawn, execFileSync } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { connect as netConnect, createServer as netServer } from 'node:net';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startFakeProviders, startFakeSmtp } from './fakes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const consoleDir = resolve(here, '..', '..');
const repo = resolve(consoleDir, '..', '..');
export const dist = join(consoleDir, 'dist');
// Screenshots go outside the tree (the test must leave git clean); `make screenshots` sets
// BATON_SCREENSHOTS to docs/screenshots to refresh the README's pictures.
export const shots = process.env.BATON_SCREENSHOTS || join(tmpdir(), 'baton-screenshots');
export const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery-9' };
const started = Date.now();
const extraShots = process.env.BATON_EXTRA_SHOTS || '';
export async function extraShot(pg, name) {
  if (extraShots) await pg.screenshot({ path: join(extraShots, name + '.png'), fullPage: true });
}

// The run's tally: step and skip keep it, and the runner counts a failed setup.
export const results = { passed: 0, failed: 0, skipped: 0, failures: [] };

export function log(...a) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
}

export async function step(name, fn) {
  try {
    await fn();
    results.passed++;
    log('ok  ', name);
  } catch (err) {
    results.failed++;
    results.failures.push(name);
    log('FAIL', name, '\n     ', String(err?.stack ?? err).split('\n').slice(0, 4).join('\n      '));
  }
}

export function skip(name, why) {
  results.skipped++;
  log('skip', name, '—', why);
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// A real w×h PNG (solid colour), so the server's content sniffing and the browser both take it.
export function makePng(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rows.set(x < w / 2 ? [245, 158, 11] : [23, 178, 106], y * (w * 3 + 1) + 1 + x * 3);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = netServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last : ''}`);
}

export async function http(base, method, path, { body, token, cookie } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  if (cookie) headers.Cookie = cookie;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

// A stand-in for the Go server's /app/ while it is not mounted yet: serves dist/ with the
// same fallback and proxies everything else (including the WebSocket) to Baton.
function startProxy(target) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wav': 'audio/wav', '.mp3': 'audio/mpeg', '.svg': 'image/svg+xml' };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/app' || url.pathname.startsWith('/app/')) {
      let rel = normalize(decodeURIComponent(url.pathname.slice(5))).replace(/^(\.\.[/\\])+/, '');
      let file = join(dist, rel);
      if (!rel || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
      res.end(readFileSync(file));
      return;
    }
    const p = httpRequest({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (pr) => {
      res.writeHead(pr.statusCode ?? 502, pr.headers);
      pr.pipe(res);
    });
    p.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(p);
  });
  server.on('upgrade', (req, socket, head) => {
    const up = netConnect(target, '127.0.0.1', () => {
      up.write(`${req.method} ${req.url} HTTP/1.1\r\n` + Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n') + '\r\n\r\n');
      if (head?.length) up.write(head);
      up.pipe(socket).pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server)));
}

// startServer builds ./cmd/baton and starts it on a free port with a temporary data dir,
// beside the fake providers; it returns the run's shared state, t, which the steps fill in.
export async function startServer() {
  const tmp = mkdtempSync(join(tmpdir(), 'baton-console-'));
  const bin = join(tmp, 'baton');
  log('building the server…');
  execFileSync('go', ['build', '-o', bin, './cmd/baton'], { cwd: repo, stdio: 'inherit' });
  const port = await freePort();
  const serverLog = [];
  // The fake providers: Baton's Telegram and Graph API clients point at them, and outgoing
  // webhooks may reach this machine.
  const fake = await startFakeProviders();
  const smtp = await startFakeSmtp();
  const srv = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', join(tmp, 'data')], {
    env: {
      ...process.env,
      BATON_ADMIN_EMAIL: ADMIN.email,
      BATON_ADMIN_PASSWORD: ADMIN.password,
      BATON_TELEGRAM_API_URL: fake.base,
      BATON_GRAPH_API_URL: fake.base,
      BATON_ALLOW_PRIVATE_WEBHOOKS: '1',
      // The test posts its XSS corpus as fast as it can: not a real visitor's pace.
      BATON_RATE_LIMITS: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Interrupted (Ctrl+C): still stop the server and remove the temporary directory.
  process.once('SIGINT', () => {
    srv.kill('SIGKILL');
    if (!process.env.BATON_KEEP) rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });
  srv.stdout.on('data', (d) => serverLog.push(String(d)));
  srv.stderr.on('data', (d) => serverLog.push(String(d)));
  return { tmp, port, srv, serverLog, fake, smtp, api: `http://127.0.0.1:${port}`, proxy: null, browser: null, bobContext: null, bobPage: null };
}

// connect waits for the server, serves dist/ through a Node proxy if the server does not,
// and checks for the agent socket.
export async function connect(t) {
  const { api, port } = t;
  await waitFor(async () => (await fetch(api + '/healthz')).ok, 20000, 'the server to start');
  log('server up on', api);

  let base = api;
  const app = await fetch(api + '/app/');
  if (app.status !== 200) {
    t.proxy = await startProxy(port);
    base = `http://127.0.0.1:${t.proxy.address().port}`;
    log(`NOTE: the Go server answers ${app.status} for /app/ (Handler not mounted yet); serving dist/ through a Node proxy at ${base}.`);
  }
  const ws = await fetch(api + '/api/v1/ws');
  const wsAvailable = ws.status !== 404;
  log(wsAvailable ? `agent socket present (GET /api/v1/ws → ${ws.status})` : 'agent socket /api/v1/ws answers 404: live-update assertions are skipped');
  Object.assign(t, { base, wsAvailable });
}

// seed adds a second agent (for @mentions and transfer), and two visitor conversations.
export async function seed(t) {
  const { api } = t;
  const login = await http(api, 'POST', '/api/v1/session', { body: ADMIN });
  assert(login.status === 200, 'admin API login: ' + login.status);
  const adminToken = login.json.token;
  const BOB = { email: 'bob@example.com', password: 'bob-password-123' };
  const bobUser = await http(api, 'POST', '/api/v1/users', { token: adminToken, body: { ...BOB, first_name: 'Bob', role: 'agent', capacity: 3 } });
  assert(bobUser.status === 201, 'second agent: ' + bobUser.status + ' ' + bobUser.text);
  const bobId = bobUser.json.id;
  const adminMe = await http(api, 'GET', '/api/v1/me', { token: adminToken });
  const adminName = adminMe.json.first_name || adminMe.json.email; // the server's display name
  const adminFull = [adminMe.json.first_name, adminMe.json.last_name].filter(Boolean).join(' ') || adminMe.json.email; // the console's
  const maria = await http(api, 'POST', '/widget/v1/sessions', { body: { chatbot: 'demo', name: 'Maria Lopez' } });
  assert(maria.status === 201, 'visitor session: ' + maria.status + ' ' + maria.text);
  const m1 = await http(api, 'POST', '/widget/v1/messages', { token: maria.json.token, body: { content: 'Hi, my order #1234 has not arrived.' } });
  assert(m1.status === 201, 'visitor message: ' + m1.status + ' ' + m1.text);
  const mariaConv = m1.json.conversation_id;
  const anon = await http(api, 'POST', '/widget/v1/sessions', { body: { chatbot: 'demo' } });
  const xss = '<img src=x onerror="window.__xss=1">';
  const m2 = await http(api, 'POST', '/widget/v1/messages', { token: anon.json.token, body: { content: xss } });
  assert(m2.status === 201, 'xss message: ' + m2.status);
  const anonConv = m2.json.conversation_id;
  const convInfo = await http(api, 'GET', `/api/v1/conversations/${mariaConv}`, { token: adminToken });
  const chatbotName = convInfo.json?.chatbot?.name ?? '';
  Object.assign(t, { adminToken, BOB, bobId, adminMe, adminName, adminFull, maria, mariaConv, anon, anonConv, xss, chatbotName });
}

// openBrowser launches Chromium and opens the admin's page (desktop notifications and
// audio faked, console errors recorded).
export async function openBrowser(t, executablePath) {
  const { base, wsAvailable } = t;
  const browser = (t.browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  }));
  const fakeBrowserApis = () => {
    window.__notifications = [];
    class FakeNotification {
      static permission = 'granted';
      static requestPermission() {
        return Promise.resolve('granted');
      }
      constructor(title, opts) {
        window.__notifications.push({ title, ...opts });
        this.onclick = null;
      }
      close() {}
    }
    window.Notification = FakeNotification;
    // Audio may be refused without a gesture; the console swallows that. Record plays.
    window.__chimes = 0;
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () {
      window.__chimes++;
      return play.call(this).catch(() => {});
    };
  };
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: base });
  await context.addInitScript(fakeBrowserApis);
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const consoleErrors = [];
  const watchErrors = (pg, who) => {
    pg.on('console', (m) => {
      if (m.type() !== 'error') return;
      const text = m.text();
      const url = m.location()?.url ?? '';
      // Expected: the signed-out /me probe, the missing socket, deliberate bad logins.
      if (/status of 401/.test(text) && (url.includes('/api/v1/me') || url.includes('/api/v1/session') || url.includes('/api/v1/'))) return;
      // Deliberate: a conversation never analysed (404), a refused bot token (400), a
      // reply after WhatsApp's window closed (409 window_closed), a template edited into
      // another's name and language (409).
      if (/status of 404/.test(text) && /\/api\/v1\/conversations\/[^/]+\/analysis$/.test(url)) return;
      if (/status of 400/.test(text) && /\/api\/v1\/chatbots\/[^/]+\/channels\/telegram$/.test(url)) return;
      if (/status of 409/.test(text) && /\/api\/v1\/conversations\/[^/]+\/messages$/.test(url)) return;
      if (/status of 409/.test(text) && /\/api\/v1\/chatbots\/[^/]+\/templates\/[^/]+$/.test(url)) return;
      if (!wsAvailable && /WebSocket/.test(text)) return;
      consoleErrors.push(who + ': ' + text + (url ? ` (${url})` : ''));
    });
    pg.on('pageerror', (e) => consoleErrors.push(who + ': pageerror: ' + e.message));
  };
  watchErrors(page, 'admin');
  const dismissToasts = async (pg) => {
    for (const b of await pg.getByRole('button', { name: 'Dismiss' }).all()) await b.click({ timeout: 300 }).catch(() => {});
  };
  mkdirSync(shots, { recursive: true });
  Object.assign(t, { fakeBrowserApis, context, page, consoleErrors, watchErrors, dismissToasts });
}

// integrationHelpers adds to t what the integration and XSS steps share.
export function integrationHelpers(t) {
  const { api, adminToken, page, dismissToasts } = t;
  // A screenshot for docs/screenshots/; `tall` grows the window to the settings page's
  // full height first, so the whole page shows.
  const shot = async (pg, name, { tall = false } = {}) => {
    await dismissToasts(pg);
    await pg.mouse.move(0, 0);
    await waitFor(async () => (await pg.getByRole('button', { name: 'Dismiss' }).count()) === 0 || (await dismissToasts(pg), false), 3000, 'toasts to go').catch(() => {});
    if (!tall) return pg.screenshot({ path: join(shots, `console-${name}.png`) });
    const h = await pg.evaluate(() => {
      const m = document.querySelector('.settings main');
      if (m) m.scrollTop = 0;
      return Math.min(2400, (m?.scrollHeight ?? 800) + 60);
    });
    await pg.setViewportSize({ width: 1280, height: Math.max(800, h) });
    await pg.waitForTimeout(150);
    await pg.screenshot({ path: join(shots, `console-${name}.png`) });
    await pg.setViewportSize({ width: 1280, height: 800 });
  };
  const rawPost = (path, body, headers) => fetch(api + path, { method: 'POST', headers, body });
  const listed = async () => (await http(api, 'GET', '/api/v1/conversations?limit=200', { token: adminToken })).json?.conversations ?? [];
  const findConv = (pred, what) => waitFor(async () => (await listed()).find(pred)?.id, 10000, what);
  const side = page.getByRole('complementary', { name: 'Conversation details' });
  const actions = page.getByRole('group', { name: 'Conversation actions' });
  // Opens a conversation in the console and takes it (Join where the AI has it, then Accept).
  const takeOver = async (id) => {
    await page.goto(`/app/conversations/${id}`);
    await actions.waitFor();
    await waitFor(async () => (await actions.getByRole('button', { name: /^(Join|Accept)$/ }).count()) > 0, 10000, 'Join or Accept');
    if (await actions.getByRole('button', { name: 'Join' }).count()) await actions.getByRole('button', { name: 'Join' }).click();
    await actions.getByRole('button', { name: 'Accept' }).click();
    await page.getByPlaceholder('Type your reply...').waitFor();
  };
  Object.assign(t, { shot, rawPost, listed, findConv, side, actions, takeOver });
}

// stop closes the browsers, the proxy and the fakes, stops the server and removes the
// temporary directory.
export async function stop(t) {
  const { fake, smtp, srv, tmp } = t;
  await t.bobContext?.close().catch(() => {});
  await t.browser?.close().catch(() => {});
  t.proxy?.close();
  fake.server.close();
  smtp.server.close();
  srv.kill('SIGTERM');
  await new Promise((r) => {
    const timer = setTimeout(() => {
      srv.kill('SIGKILL');
      r();
    }, 5000);
    srv.once('exit', () => {
      clearTimeout(timer);
      r();
    });
  });
  if (!process.env.BATON_KEEP) rmSync(tmp, { recursive: true, force: true });
}
