import { describe, expect, it } from 'vitest';
import type { KeyLike } from './composer';
import { shortcutOf } from './shortcuts';

const k = (key: string, m: Partial<KeyLike> = {}): KeyLike => ({ key, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...m });

describe('shortcutOf', () => {
  it('maps the A8 shortcuts', () => {
    expect(shortcutOf(k('t', { ctrlKey: true }), true)).toBe('transfer');
    expect(shortcutOf(k('r', { ctrlKey: true }), true)).toBe('resolve');
    expect(shortcutOf(k('n', { ctrlKey: true }), true)).toBe('note');
    expect(shortcutOf(k('/', { ctrlKey: true }), true)).toBe('canned');
    expect(shortcutOf(k('Escape'), true)).toBe('escape');
  });
  it('offers Alt+T and Alt+N where the browser keeps Ctrl+T and Ctrl+N', () => {
    expect(shortcutOf(k('t', { altKey: true }), false)).toBe('transfer');
    expect(shortcutOf(k('N', { altKey: true }), false)).toBe('note');
  });
  it('opens help on ? only outside text fields', () => {
    expect(shortcutOf(k('?', { shiftKey: true }), false)).toBe('help');
    expect(shortcutOf(k('?', { shiftKey: true }), true)).toBeNull();
  });
  it('leaves Ctrl+Shift+R (hard reload) alone', () => expect(shortcutOf(k('R', { ctrlKey: true, shiftKey: true }), false)).toBeNull());
});
