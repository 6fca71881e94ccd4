import { afterEach, describe, expect, it, vi } from 'vitest';
import { signInErrorText } from '../stores/session.svelte';
import { api, ApiError, query, setFetcher, setUnauthorizedHandler } from './api';

function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status, headers }));
}

afterEach(() => setUnauthorizedHandler(null));

describe('request', () => {
  it('sends JSON with the same-origin cookie', async () => {
    const f = respond(200, { ok: true });
    setFetcher(f as unknown as typeof fetch);
    await api.post('/api/v1/x', { a: 1 });
    const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/x');
    expect(init.credentials).toBe('same-origin');
    expect(init.body).toBe('{"a":1}');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('turns the error shape into an ApiError with Retry-After', async () => {
    setFetcher(respond(429, { error: { code: 'rate_limited', message: 'Slow down.' } }, { 'Retry-After': '3' }) as unknown as typeof fetch);
    const err = (await api.get('/api/v1/x').catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limited');
    expect(err.message).toBe('Slow down.');
    expect(err.retryAfter).toBe(3);
  });

  it('calls the unauthorized handler on 401, except when told not to', async () => {
    const h = vi.fn();
    setUnauthorizedHandler(h);
    setFetcher(respond(401, { error: { code: 'unauthorized', message: 'no' } }) as unknown as typeof fetch);
    await api.get('/api/v1/me', { quiet401: true }).catch(() => {});
    expect(h).not.toHaveBeenCalled();
    await api.get('/api/v1/conversations').catch(() => {});
    expect(h).toHaveBeenCalledOnce();
  });

  it('reports a network failure kindly', async () => {
    setFetcher(vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) as unknown as typeof fetch);
    const err = (await api.get('/x').catch((e) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/reach the server/);
  });

  it('returns undefined for 204', async () => {
    setFetcher(vi.fn(async () => new Response(null, { status: 204 })) as unknown as typeof fetch);
    expect(await api.del('/api/v1/session')).toBeUndefined();
  });
});

describe('query', () => {
  it('skips empty values', () => expect(query({ a: 'x y', b: '', c: undefined, d: 0 })).toBe('?a=x+y&d=0'));
  it('is empty without values', () => expect(query({})).toBe(''));
});

describe('signInErrorText', () => {
  it('says invalid credentials on 401', () => expect(signInErrorText(new ApiError(401, 'unauthorized', 'x'))).toBe('Invalid email or password.'));
  it('is kind about throttling', () => {
    expect(signInErrorText(new ApiError(429, 'rate_limited', 'x', 12))).toBe('Too many sign-in attempts. Wait 12 seconds and try again.');
    expect(signInErrorText(new ApiError(429, 'rate_limited', 'x', 0))).toBe('Too many sign-in attempts. Wait a little and try again.');
  });
});
