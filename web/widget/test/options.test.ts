import { describe, expect, it } from 'vitest';
import { optionsFrom } from '../src/options';

function script(attrs: Record<string, string>): HTMLScriptElement {
  const s = document.createElement('script');
  for (const [k, v] of Object.entries(attrs)) s.setAttribute(k, v);
  return s;
}

describe('optionsFrom', () => {
  it("takes the API origin from the script's own URL", () => {
    const o = optionsFrom(
      script({ src: 'https://chat.acme.test/widget.js?v=2', 'data-chatbot': 'demo', 'data-user-id': 'u1', 'data-user-hash': 'ab12', 'data-name': 'Jo', 'data-email': 'jo@x.test' }),
      'https://shop.acme.test',
    );
    expect(o).toEqual({ chatbot: 'demo', baseURL: 'https://chat.acme.test', userId: 'u1', userHash: 'ab12', name: 'Jo', email: 'jo@x.test' });
  });

  it('resolves a relative src against the page', () => {
    expect(optionsFrom(script({ src: '/widget.js', 'data-chatbot': 'demo' }), 'http://127.0.0.1:8080')!.baseURL).toBe(location.origin);
  });

  it('needs data-chatbot', () => {
    expect(optionsFrom(script({ src: '/widget.js' }), 'http://h')).toBeNull();
    expect(optionsFrom(null, 'http://h')).toBeNull();
  });
});
