import { describe, expect, it } from 'vitest';
import { appendText, formatTime, safeHref, trimURL } from '../src/text';

function render(text: string): HTMLElement {
  const div = document.createElement('div');
  appendText(div, text);
  return div;
}

describe('message text is rendered as text', () => {
  const hostile = [
    '<img src=x onerror=alert(1)>',
    'Hello from Ana <b>bold</b>',
    '<script>alert(1)</script>',
    '"><svg onload=alert(1)>',
    '&lt;not an entity&gt; &amp;',
  ];
  for (const text of hostile) {
    it(`shows ${JSON.stringify(text)} literally`, () => {
      const div = render(text);
      expect(div.textContent).toBe(text);
      expect(div.querySelector('img,b,script,svg')).toBeNull();
      expect(div.children).toHaveLength(0);
    });
  }

  it('keeps line breaks and spaces as text', () => {
    expect(render('a\n  b').textContent).toBe('a\n  b');
  });
});

describe('links', () => {
  it('links http(s) URLs with a checked href and the URL as text', () => {
    const div = render('See https://example.com/help?a=1&b=2.');
    const a = div.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://example.com/help?a=1&b=2');
    expect(a.textContent).toBe('https://example.com/help?a=1&b=2');
    expect(a.rel).toContain('noopener');
    expect(a.target).toBe('_blank');
    expect(div.textContent).toBe('See https://example.com/help?a=1&b=2.');
  });

  it('never links other schemes', () => {
    for (const t of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', 'JaVaScRiPt:alert(1)']) {
      const div = render(t);
      expect(div.querySelector('a')).toBeNull();
      expect(div.textContent).toBe(t);
    }
  });

  it('stops a URL at quotes and angle brackets', () => {
    const div = render('https://evil.example/"><img src=x onerror=alert(1)>');
    expect(div.querySelector('a')!.getAttribute('href')).toBe('https://evil.example/');
    expect(div.querySelector('img')).toBeNull();
  });

  it('keeps a balanced closing bracket and drops sentence punctuation', () => {
    expect(trimURL('https://en.wikipedia.org/wiki/Baton_(symbol)')).toBe('https://en.wikipedia.org/wiki/Baton_(symbol)');
    expect(trimURL('https://x.test/a_(b)).')).toBe('https://x.test/a_(b)');
    expect(trimURL('https://x.test/a),')).toBe('https://x.test/a');
  });

  it('accepts only well-formed http(s) hrefs', () => {
    expect(safeHref('https://a.test/x')).toBe('https://a.test/x');
    expect(safeHref('http://')).toBeNull();
    expect(safeHref('javascript:alert(1)')).toBeNull();
  });
});

describe('formatTime', () => {
  it('shows only the time for today and the date before it otherwise', () => {
    const now = new Date('2025-03-03T12:00:00');
    expect(formatTime('2025-03-03T09:05:00', now)).toMatch(/09.05|9.05/);
    expect(formatTime('2025-03-01T09:05:00', now)).toMatch(/1/);
    expect(formatTime('2025-03-01T09:05:00', now)).toContain(',');
    expect(formatTime('not a date', now)).toBe('');
    expect(formatTime(undefined, now)).toBe('');
  });
});
