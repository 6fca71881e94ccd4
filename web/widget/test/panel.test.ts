import { describe, expect, it } from 'vitest';
import { initialPanel, panelReducer, statusLine, type PanelEvent, type PanelState } from '../src/panel';

const run = (...events: PanelEvent[]): PanelState => events.reduce(panelReducer, initialPanel);

describe('panelReducer', () => {
  it('starts closed and idle', () => {
    expect(initialPanel).toEqual({ open: false, phase: 'idle', banner: null, offline: 'hidden', offlineError: null });
  });

  it('opens, closes and toggles', () => {
    expect(run({ type: 'open' }).open).toBe(true);
    expect(run({ type: 'open' }, { type: 'close' }).open).toBe(false);
    expect(run({ type: 'toggle' }, { type: 'toggle' }, { type: 'toggle' }).open).toBe(true);
  });

  it('loads, then shows the history', () => {
    expect(run({ type: 'load' }).phase).toBe('loading');
    expect(run({ type: 'load' }, { type: 'loaded' }).phase).toBe('ready');
  });

  it('keeps the history on screen during a later catch-up', () => {
    expect(run({ type: 'load' }, { type: 'loaded' }, { type: 'load' }).phase).toBe('ready');
  });

  it('shows the banner while the server is unreachable and hides it once it answers', () => {
    const down = run({ type: 'load' }, { type: 'unreachable', message: 'No connection' });
    expect(down.banner).toBe('No connection');
    expect(down.phase).toBe('loading');
    expect(panelReducer(down, { type: 'reachable' }).banner).toBeNull();
    expect(panelReducer(down, { type: 'loaded' })).toMatchObject({ banner: null, phase: 'ready' });
  });

  it('runs the offline form: shown, sending, failed, sent', () => {
    let s = run({ type: 'status', status: 'offline' });
    expect(s.offline).toBe('form');
    s = panelReducer(s, { type: 'offline_submit' });
    expect(s.offline).toBe('sending');
    s = panelReducer(s, { type: 'offline_failed', message: 'Try again' });
    expect(s).toMatchObject({ offline: 'form', offlineError: 'Try again' });
    s = panelReducer(s, { type: 'offline_submit' });
    s = panelReducer(s, { type: 'offline_sent' });
    expect(s).toMatchObject({ offline: 'sent', offlineError: null });
  });

  it('shows the thank-you state for an offline conversation whose form was sent before', () => {
    expect(run({ type: 'status', status: 'offline', offlineSent: true }).offline).toBe('sent');
  });

  it('hides the offline form when an agent comes or a new conversation starts', () => {
    expect(run({ type: 'status', status: 'offline' }, { type: 'status', status: 'human' }).offline).toBe('hidden');
    expect(run({ type: 'status', status: 'offline' }, { type: 'conversation' }).offline).toBe('hidden');
  });

  it('ignores a submit when the form is not shown', () => {
    expect(run({ type: 'offline_submit' }).offline).toBe('hidden');
  });

  it('resets everything but openness', () => {
    expect(run({ type: 'open' }, { type: 'load' }, { type: 'reset' })).toEqual({ ...initialPanel, open: true });
  });
});

describe('statusLine', () => {
  it('says who answers', () => {
    expect(statusLine('bot', null)).toBe('The assistant answers instantly');
    expect(statusLine('waiting', null)).toBe('Waiting for an agent…');
    expect(statusLine('human', 'Ana')).toBe('Ana is here');
    expect(statusLine('human', null)).toBe('An agent is here');
    expect(statusLine('closed', null)).toBe('Conversation ended');
  });
});
