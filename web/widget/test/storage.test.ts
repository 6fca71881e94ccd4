import { describe, expect, it } from 'vitest';
import { SessionStore, type Saved } from '../src/storage';
import { MemoryKV } from './fakes';

const saved = (over: Partial<Saved> = {}): Saved => ({
  session_id: 'web:1',
  token: 'btv_1',
  conversation_id: 'c1',
  seqs: { c1: 4 },
  read: { c1: 2 },
  offline: {},
  ...over,
});

describe('SessionStore', () => {
  it('keeps one key per chatbot', () => {
    const kv = new MemoryKV();
    new SessionStore('demo', kv).save(saved());
    new SessionStore('other', kv).save(saved({ token: 'btv_2' }));
    expect([...kv.map.keys()]).toEqual(['baton:demo', 'baton:other']);
    expect(new SessionStore('demo', kv).load()!.token).toBe('btv_1');
  });

  it('round-trips the session and the seqs', () => {
    const kv = new MemoryKV();
    const s = new SessionStore('demo', kv);
    s.save(saved({ user_id: 'u1', offline: { c1: true } }));
    expect(s.load()).toEqual(saved({ user_id: 'u1', offline: { c1: true } }));
  });

  it('treats corrupt or partial data as no session', () => {
    const kv = new MemoryKV();
    const s = new SessionStore('demo', kv);
    for (const raw of ['{', '"x"', '{"token":""}', '{"conversation_id":"c1"}']) {
      kv.setItem('baton:demo', raw);
      expect(s.load()).toBeNull();
    }
  });

  it('drops bad seq values', () => {
    const kv = new MemoryKV();
    kv.setItem('baton:demo', JSON.stringify({ ...saved(), seqs: { c1: 'x', c2: -1, c3: 5 } }));
    expect(new SessionStore('demo', kv).load()!.seqs).toEqual({ c3: 5 });
  });

  it('forgets the session on clear', () => {
    const kv = new MemoryKV();
    const s = new SessionStore('demo', kv);
    s.save(saved());
    s.clear();
    expect(s.load()).toBeNull();
  });

  it('works in memory when storage throws', () => {
    const broken = {
      getItem(): string | null {
        throw new Error('denied');
      },
      setItem(): void {
        throw new Error('denied');
      },
      removeItem(): void {
        throw new Error('denied');
      },
    };
    const s = new SessionStore('demo', broken);
    s.save(saved());
    expect(s.load()!.token).toBe('btv_1');
  });

  it('keeps the per-conversation maps small', () => {
    const kv = new MemoryKV();
    const s = new SessionStore('demo', kv);
    const seqs: Record<string, number> = {};
    for (let i = 0; i < 20; i++) seqs['c' + i] = i;
    s.save(saved({ conversation_id: 'c0', seqs }));
    const keys = Object.keys(s.load()!.seqs);
    expect(keys.length).toBeLessThanOrEqual(6);
    expect(keys).toContain('c0');
    expect(keys).toContain('c19');
  });
});
