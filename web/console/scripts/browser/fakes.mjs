// The services Baton talks to, faked for the browser test: one HTTP server for the
// Telegram Bot API, the Graph API (WhatsApp Cloud API) and a receiver of outgoing
// webhooks, and an SMTP server that accepts everything. They record what they get, so the
// steps can check what Baton sent.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';

// Parses a request body as the providers' clients send it: JSON, a form, or multipart
// form-data (what go-telegram/bot sends) into a flat object of strings.
function parseBody(req, raw) {
  const type = req.headers['content-type'] ?? '';
  const text = raw.toString('utf8');
  if (type.includes('application/json')) {
    try {
      return JSON.parse(text);
    } catch {
      return {};
    }
  }
  if (type.includes('multipart/form-data')) {
    const boundary = /boundary=("?)([^";]+)\1/.exec(type)?.[2];
    const out = {};
    if (!boundary) return out;
    for (const part of text.split('--' + boundary)) {
      const m = /name="([^"]+)"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*)\r\n$/.exec(part);
      if (m) out[m[1]] = m[2];
    }
    return out;
  }
  return Object.fromEntries(new URLSearchParams(text));
}

// The providers Baton talks to, as one small HTTP server: the Telegram Bot API
// (/bot<token>/<method>), the Graph API (/v23.0/…, WhatsApp Cloud API) and a receiver for
// outgoing webhooks (/hook/…). Everything it gets is recorded.
export function startFakeProviders() {
  const state = {
    calls: [],
    hooks: [],
    telegram: { webhooks: [], sent: [], delayMs: 0, failText: '' },
    graph: { sent: [], next: 1 },
  };
  const json = (res, status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url, 'http://x');
      const body = parseBody(req, raw);
      state.calls.push({ method: req.method, path: url.pathname, body });
      if (url.pathname.startsWith('/hook/')) {
        state.hooks.push({ path: url.pathname, headers: req.headers, raw: raw.toString('utf8'), body });
        return json(res, 200, { ok: true });
      }
      const tg = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (tg) {
        const [, token, method] = tg;
        if (token === 'bad-token') return json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
        if (method === 'getMe') return json(res, 200, { ok: true, result: { id: 7000000001, is_bot: true, first_name: 'Acme Support', username: 'acme_support_bot' } });
        if (method === 'setWebhook') {
          state.telegram.webhooks.push({ url: body.url, secret: body.secret_token, token });
          return json(res, 200, { ok: true, result: true, description: 'Webhook was set' });
        }
        if (method === 'sendMessage') {
          if (state.telegram.failText && body.text === state.telegram.failText) {
            return json(res, 403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
          }
          if (state.telegram.delayMs) await new Promise((r) => setTimeout(r, state.telegram.delayMs));
          const id = 3000 + state.telegram.sent.length;
          state.telegram.sent.push({ chat_id: body.chat_id, text: body.text, id });
          return json(res, 200, { ok: true, result: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: 'private' }, text: body.text } });
        }
        return json(res, 200, { ok: true, result: true });
      }
      const graph = /^\/v[\d.]+\/(.+)$/.exec(url.pathname);
      if (graph) {
        const path = graph[1];
        if (req.method === 'GET' && !path.includes('/')) return json(res, 200, { verified_name: 'Acme Support', display_phone_number: '+1 555-078-3881', id: path });
        if (req.method === 'POST' && path.endsWith('/messages')) {
          const id = `wamid.FAKE-${state.graph.next++}`;
          state.graph.sent.push({ id, body });
          return json(res, 200, { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id }] });
        }
        return json(res, 200, { success: true });
      }
      json(res, 404, { error: 'not found' });
    });
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, state, base: `http://127.0.0.1:${server.address().port}` })));
}

// A mail server that accepts everything (the email channel checks an SMTP session when it
// is saved, and the bot's replies are sent by SMTP).
export function startFakeSmtp() {
  const mails = [];
  const server = netServer((sock) => {
    let buf = '';
    let inData = false;
    let data = '';
    sock.write('220 fake.test ESMTP ready\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            mails.push(data);
            data = '';
            sock.write('250 2.0.0 queued\r\n');
          } else data += line + '\r\n';
          continue;
        }
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO') sock.write('250-fake.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n');
        else if (cmd === 'HELO') sock.write('250 fake.test\r\n');
        else if (cmd === 'DATA') {
          inData = true;
          sock.write('354 end with .\r\n');
        } else if (cmd === 'QUIT') {
          sock.write('221 bye\r\n');
          sock.end();
        } else sock.write('250 ok\r\n');
      }
    });
    sock.on('error', () => {});
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, mails, port: server.address().port })));
}

/** X-Hub-Signature-256 of a body (WhatsApp, Messenger). */
export function metaSignature(secret, body) {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

