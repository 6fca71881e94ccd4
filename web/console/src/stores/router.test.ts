import { describe, expect, it } from 'vitest';
import { parseRoute, routePath } from './router.svelte';

describe('routes', () => {
  it('parses the console paths', () => {
    expect(parseRoute('/app/', '/app/')).toEqual({ name: 'inbox', conversationId: null });
    expect(parseRoute('/app/conversations/0192-ab', '/app/')).toEqual({ name: 'inbox', conversationId: '0192-ab' });
    expect(parseRoute('/app/settings/tokens', '/app/')).toEqual({ name: 'settings', tab: 'tokens' });
    expect(parseRoute('/app/settings/nope', '/app/')).toEqual({ name: 'settings', tab: 'profile' });
    expect(parseRoute('/app/unknown/place', '/app/')).toEqual({ name: 'inbox', conversationId: null });
    expect(parseRoute('/app/tickets', '/app/')).toEqual({ name: 'tickets', ticketId: null });
    expect(parseRoute('/app/tickets/t1', '/app/')).toEqual({ name: 'tickets', ticketId: 't1' });
    expect(parseRoute('/app/settings/canned-responses', '/app/')).toEqual({ name: 'settings', tab: 'canned-responses' });
    expect(parseRoute('/app/settings/queues', '/app/')).toEqual({ name: 'settings', tab: 'queues' });
    expect(parseRoute('/app/settings/channels', '/app/')).toEqual({ name: 'settings', tab: 'channels' });
    expect(parseRoute('/app/settings/webhooks', '/app/')).toEqual({ name: 'settings', tab: 'webhooks' });
  });
  it('round-trips', () => {
    for (const p of ['/app/', '/app/conversations/a%2Fb', '/app/settings/team', '/app/tickets', '/app/tickets/t%201', '/app/settings/labels']) expect(routePath(parseRoute(p, '/app/'), '/app/')).toBe(p);
  });
});
