import { describe, expect, it } from 'vitest';
import { Api, ApiError } from '../src/api';
import { FakeServer } from './fakes';

describe('Api', () => {
  it('sends the bearer token and JSON body', async () => {
    const server = new FakeServer();
    const api = new Api('https://chat.example', server.fetch);
    await api.postMessage('btv_x', 'hello');
    expect(server.calls[0]).toEqual({ method: 'POST', path: '/widget/v1/messages', auth: 'Bearer btv_x', body: { content: 'hello' } });
  });

  it('turns the error body into an ApiError with the server message', async () => {
    const server = new FakeServer();
    server.on(() => ({
      status: 429,
      body: { error: { code: 'rate_limited', message: 'Slow down a little.' } },
      headers: { 'Retry-After': '3' },
    }));
    const err = await new Api('https://h', server.fetch).postMessage('t', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', message: 'Slow down a little.', retryAfter: 3, unreachable: false });
  });

  it('reports a network failure as unreachable', async () => {
    const server = new FakeServer();
    server.on(() => 'network');
    const err = (await new Api('https://h', server.fetch).events('t', 0).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.unreachable).toBe(true);
  });

  it('copes with an error that is not JSON', async () => {
    const api = new Api('https://h', async () => new Response('<html>bad gateway</html>', { status: 502 }));
    const err = (await api.config('demo').catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ status: 502, code: 'http_502', unreachable: true });
  });

  it('builds the socket URL on the same origin', () => {
    expect(new Api('https://chat.example').socketURL('btv_1', 5, 'c1')).toBe(
      'wss://chat.example/widget/v1/ws?token=btv_1&since=5&conversation_id=c1',
    );
    expect(new Api('http://127.0.0.1:8080').socketURL('t', 0)).toBe('ws://127.0.0.1:8080/widget/v1/ws?token=t&since=0');
  });
});
