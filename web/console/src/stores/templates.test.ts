import { describe, expect, it } from 'vitest';
import { ApiError } from '../lib/api';
import type { ChannelTemplate } from '../lib/types';
import { TemplateStore, bodyOf, changesOf, draftOf, draftProblem, emptyDraft, parameterMismatch } from './templates.svelte';

function tpl(p: Partial<ChannelTemplate> = {}): ChannelTemplate {
  return {
    id: 't1',
    name: 'order_update',
    language: 'en_US',
    parameters: ['first_name'],
    body: 'Hi {{1}}, your order shipped.',
    created_at: '2025-01-01T10:00:00Z',
    ...p,
  };
}

type Answer = unknown;

/** A fake API: each method answers from its queue (an ApiError is thrown) and records the call. */
function fake(answers: { get?: Answer[]; post?: Answer[]; patch?: Answer[]; del?: Answer[] } = {}) {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const take = async (method: 'get' | 'post' | 'patch' | 'del', path: string, body?: unknown) => {
    calls.push({ method, path, body: body === undefined ? undefined : structuredClone(body) });
    const a = answers[method]?.shift();
    if (a instanceof ApiError) throw a;
    if (a instanceof Promise) return await a;
    return structuredClone(a);
  };
  const store = new TemplateStore({
    get: async <T,>(p: string) => (await take('get', p)) as T,
    post: async <T,>(p: string, b: unknown) => (await take('post', p, b)) as T,
    patch: async <T,>(p: string, b: unknown) => (await take('patch', p, b)) as T,
    del: async <T,>(p: string) => (await take('del', p)) as T,
  });
  return { store, calls };
}

describe('template drafts', () => {
  it('turns a template into the form and back', () => {
    const d = draftOf(tpl({ parameters: ['first_name', 'order'] }));
    expect(d.paramText).toBe('first_name, order');
    expect(bodyOf({ ...d, name: '  order_update ', paramText: 'a, , b ,' })).toEqual({
      name: 'order_update',
      language: 'en_US',
      parameters: ['a', 'b'],
      body: 'Hi {{1}}, your order shipped.',
    });
    expect(draftOf(tpl({ parameters: null })).paramText).toBe('');
  });

  it('says what the API would refuse', () => {
    expect(draftProblem(draftOf(tpl()))).toBe('');
    expect(draftProblem({ ...emptyDraft(), name: 'order update' })).toContain('approved name');
    expect(draftProblem({ ...emptyDraft(), name: 'x'.repeat(513) })).toContain('approved name');
    expect(draftProblem({ ...emptyDraft(), name: 'x', language: ' ' })).toContain('language');
    expect(draftProblem({ ...emptyDraft(), name: 'x', language: 'x'.repeat(16) })).toContain('language');
    expect(draftProblem({ ...emptyDraft(), name: 'x', paramText: Array.from({ length: 21 }, (_, i) => `p${i}`).join(',') })).toContain('20 parameters');
    expect(draftProblem({ ...emptyDraft(), name: 'x', paramText: 'y'.repeat(101) })).toContain('1 to 100');
    expect(draftProblem({ ...emptyDraft(), name: 'x', body: 'é'.repeat(1025) })).toContain('1024');
    expect(draftProblem({ ...emptyDraft(), name: 'x', body: 'é'.repeat(1024) })).toBe('');
  });

  it('warns when the body and the parameter names disagree', () => {
    expect(parameterMismatch({ ...emptyDraft(), body: 'Hi {{1}} and {{2}}', paramText: 'a' })).toEqual({ expected: 2, given: 1 });
    expect(parameterMismatch({ ...emptyDraft(), body: 'Hi {{1}}', paramText: 'a' })).toBeNull();
    expect(parameterMismatch({ ...emptyDraft(), body: '', paramText: 'a' })).toBeNull();
  });

  it('sends only the fields an edit changed', () => {
    const t = tpl();
    expect(changesOf(t, bodyOf(draftOf(t)))).toEqual({});
    expect(changesOf(t, { ...bodyOf(draftOf(t)), language: 'en_GB' })).toEqual({ language: 'en_GB' });
    expect(changesOf(t, { ...bodyOf(draftOf(t)), parameters: ['first_name', 'order'] })).toEqual({ parameters: ['first_name', 'order'] });
    expect(changesOf(t, { ...bodyOf(draftOf(t)), parameters: [] })).toEqual({ parameters: [] });
    expect(changesOf(tpl({ parameters: null }), { ...bodyOf(draftOf(t)), parameters: [] })).toEqual({});
    expect(changesOf(t, { name: 'n', language: 'pt_BR', parameters: ['first_name'], body: '' })).toEqual({ name: 'n', language: 'pt_BR', body: '' });
  });
});

describe('TemplateStore', () => {
  it('loads the list in the server order, and says why it could not', async () => {
    const f = fake({ get: [{ templates: [tpl({ id: 't2', name: 'zeta' }), tpl()] }, new ApiError(500, 'internal', 'Something broke.')] });
    await f.store.load('bot 1');
    expect(f.calls[0]).toEqual({ method: 'get', path: '/api/v1/chatbots/bot%201/templates', body: undefined });
    expect(f.store.status).toBe('ready');
    expect(f.store.templates.map((t) => t.id)).toEqual(['t1', 't2']);
    await f.store.load('bot 1');
    expect(f.store.status).toBe('error');
    expect(f.store.loadError).toBe('Something broke.');
  });

  it('adds a template with the create form', async () => {
    const f = fake({ get: [{ templates: [] }], post: [tpl({ id: 'new' })] });
    await f.store.load('b');
    f.store.openNew();
    expect(f.store.mode).toBe('new');
    expect(f.store.draft).toEqual(emptyDraft());
    Object.assign(f.store.draft, { name: ' order_update ', body: 'Hi {{1}}, your order shipped.', paramText: 'first_name' });
    const saved = await f.store.save();
    expect(saved?.id).toBe('new');
    expect(f.calls.at(-1)).toEqual({
      method: 'post',
      path: '/api/v1/chatbots/b/templates',
      body: { name: 'order_update', language: 'en_US', parameters: ['first_name'], body: 'Hi {{1}}, your order shipped.' },
    });
    expect(f.store.mode).toBe('closed');
    expect(f.store.templates.map((t) => t.id)).toEqual(['new']);
  });

  it('edits a template with the same form, sending only what changed', async () => {
    const other = tpl({ id: 't0', name: 'account_notice' });
    const f = fake({ get: [{ templates: [tpl(), other] }], patch: [tpl({ name: 'shipping_update', parameters: ['first_name', 'order'] })] });
    await f.store.load('b');
    f.store.openEdit(f.store.templates[1]!);
    expect(f.store.mode).toBe('edit');
    expect(f.store.editing?.id).toBe('t1');
    expect(f.store.draft).toEqual({ name: 'order_update', language: 'en_US', body: 'Hi {{1}}, your order shipped.', paramText: 'first_name' });
    f.store.draft.name = 'shipping_update';
    f.store.draft.paramText = 'first_name, order';
    const saved = await f.store.save();
    expect(saved?.name).toBe('shipping_update');
    expect(f.calls.at(-1)).toEqual({ method: 'patch', path: '/api/v1/chatbots/b/templates/t1', body: { name: 'shipping_update', parameters: ['first_name', 'order'] } });
    expect(f.store.mode).toBe('closed');
    expect(f.store.editing).toBeNull();
    // Replaced in place, in the server's order, with no duplicate.
    expect(f.store.templates.map((t) => `${t.id}:${t.name}`)).toEqual(['t0:account_notice', 't1:shipping_update']);
  });

  it('closes an edit that changed nothing without a request', async () => {
    const f = fake({ get: [{ templates: [tpl()] }] });
    await f.store.load('b');
    f.store.openEdit(f.store.templates[0]!);
    expect((await f.store.save())?.id).toBe('t1');
    expect(f.calls.map((c) => c.method)).toEqual(['get']);
    expect(f.store.mode).toBe('closed');
  });

  it('keeps the form open with the API error (a clash) and saves once at a time', async () => {
    let release!: (v: unknown) => void;
    const slow = new Promise((r) => (release = r));
    const f = fake({
      get: [{ templates: [tpl(), tpl({ id: 't2', language: 'pt_BR' })] }],
      patch: [new ApiError(409, 'conflict', 'This chatbot already has the template order_update (pt_BR).'), slow],
    });
    await f.store.load('b');
    f.store.openEdit(f.store.templates[0]!);
    f.store.draft.language = 'pt_BR';
    expect(await f.store.save()).toBeNull();
    expect(f.store.mode).toBe('edit');
    expect(f.store.error).toBe('This chatbot already has the template order_update (pt_BR).');
    expect(f.store.saving).toBe(false);
    expect(f.store.templates.map((t) => t.language)).toEqual(['en_US', 'pt_BR']);

    f.store.draft.language = 'es_ES';
    const first = f.store.save();
    expect(f.store.saving).toBe(true);
    expect(f.store.error).toBe('');
    expect(await f.store.save()).toBeNull(); // a second Enter while saving
    release(tpl({ language: 'es_ES' }));
    expect((await first)?.language).toBe('es_ES');
    expect(f.calls.filter((c) => c.method === 'patch')).toHaveLength(2);
    expect(f.store.saving).toBe(false);
  });

  it('refuses a draft the API would refuse, without a request', async () => {
    const f = fake({ get: [{ templates: [tpl()] }] });
    await f.store.load('b');
    f.store.openEdit(f.store.templates[0]!);
    f.store.draft.name = 'has space';
    expect(await f.store.save()).toBeNull();
    expect(f.store.error).toContain('approved name');
    expect(f.calls.map((c) => c.method)).toEqual(['get']);
  });

  it('cancels an edit, and deleting the template being edited closes the form', async () => {
    const f = fake({ get: [{ templates: [tpl(), tpl({ id: 't2', name: 'zeta' })] }], del: [undefined, new ApiError(404, 'not_found', 'Template not found.')] });
    await f.store.load('b');
    f.store.openEdit(f.store.templates[0]!);
    f.store.draft.name = 'changed';
    f.store.cancel();
    expect(f.store.mode).toBe('closed');
    expect(f.store.templates[0]!.name).toBe('order_update');
    f.store.openEdit(f.store.templates[0]!);
    await f.store.remove(f.store.templates[0]!);
    expect(f.store.mode).toBe('closed');
    expect(f.store.templates.map((t) => t.id)).toEqual(['t2']);
    await expect(f.store.remove(f.store.templates[0]!)).rejects.toThrow('Template not found.');
    expect(f.store.templates.map((t) => t.id)).toEqual(['t2']);
  });

  it('drops a save answered after another chatbot was loaded', async () => {
    let release!: (v: unknown) => void;
    const slow = new Promise((r) => (release = r));
    const f = fake({ get: [{ templates: [tpl()] }, { templates: [] }], patch: [slow] });
    await f.store.load('a');
    f.store.openEdit(f.store.templates[0]!);
    f.store.draft.body = 'Changed {{1}}';
    const saving = f.store.save();
    await f.store.load('b');
    release(tpl({ body: 'Changed {{1}}' }));
    expect(await saving).toBeNull();
    expect(f.store.templates).toEqual([]);
  });
});
