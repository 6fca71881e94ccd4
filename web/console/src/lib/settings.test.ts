import { describe, expect, it } from 'vitest';
import { embedSnippet, parseKeywords } from './settings';

describe('settings helpers', () => {
  it('splits keywords on commas, without blanks or repeats', () => {
    expect(parseKeywords(' shipping, delivery ,,shipping, return policy ')).toEqual(['shipping', 'delivery', 'return policy']);
    expect(parseKeywords('')).toEqual([]);
  });

  it('builds the widget embed tag', () => {
    expect(embedSnippet('https://chat.example.com/', 'demo')).toBe('<script src="https://chat.example.com/widget.js" data-chatbot="demo" async></script>');
    expect(embedSnippet('http://x', 'a"b')).toContain('data-chatbot="a&quot;b"');
  });
});
