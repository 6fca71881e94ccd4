import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypingNotifier } from './typing';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('TypingNotifier', () => {
  it('sends typing: true at most every 3 s and typing: false after a pause', () => {
    const sent: boolean[] = [];
    const t = new TypingNotifier((v) => sent.push(v), { now: () => Date.now() });
    for (let i = 0; i < 20; i++) {
      t.input();
      vi.advanceTimersByTime(200); // 4 s of typing
    }
    expect(sent).toEqual([true, true]);
    vi.advanceTimersByTime(4000);
    expect(sent).toEqual([true, true, false]);
  });

  it('stop sends typing: false once, and only after typing', () => {
    const sent: boolean[] = [];
    const t = new TypingNotifier((v) => sent.push(v));
    t.stop();
    expect(sent).toEqual([]);
    t.input();
    t.stop();
    t.stop();
    vi.advanceTimersByTime(10000);
    expect(sent).toEqual([true, false]);
  });
});
