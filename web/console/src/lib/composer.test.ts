import { describe, expect, it } from 'vitest';
import { anchoredQuery, applyPick, canReply, canSend, cycle, detectTrigger, keyAction, mentionsIn, REPLY_MENTION_HINT, replyMentionHint, type KeyLike } from './composer';

function key(k: string, mods: Partial<KeyLike> = {}): KeyLike {
  return { key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods };
}

describe('keyAction', () => {
  it('Enter sends', () => expect(keyAction(key('Enter'), false)).toBe('send'));
  it('Shift+Enter makes a new line', () => expect(keyAction(key('Enter', { shiftKey: true }), false)).toBeNull());
  it('Ctrl+Enter sends', () => expect(keyAction(key('Enter', { ctrlKey: true }), false)).toBe('send'));
  it('Cmd+Enter sends', () => expect(keyAction(key('Enter', { metaKey: true }), false)).toBe('send'));
  it('Enter while composing with an IME does nothing', () => expect(keyAction(key('Enter', { isComposing: true }), false)).toBeNull());
  it('Ctrl+N toggles the note', () => expect(keyAction(key('n', { ctrlKey: true }), false)).toBe('toggle-note'));
  it('Alt+N toggles the note', () => expect(keyAction(key('n', { altKey: true }), false)).toBe('toggle-note'));
  it('Ctrl+/ opens canned responses', () => expect(keyAction(key('/', { ctrlKey: true }), false)).toBe('open-canned'));
  it('plain letters belong to the textarea', () => expect(keyAction(key('n'), false)).toBeNull());

  describe('with a picker open', () => {
    it('Enter picks instead of sending', () => expect(keyAction(key('Enter'), true)).toBe('picker-pick'));
    it('Tab picks', () => expect(keyAction(key('Tab'), true)).toBe('picker-pick'));
    it('arrows move', () => {
      expect(keyAction(key('ArrowDown'), true)).toBe('picker-next');
      expect(keyAction(key('ArrowUp'), true)).toBe('picker-prev');
    });
    it('Esc closes the picker', () => expect(keyAction(key('Escape'), true)).toBe('picker-close'));
    it('Ctrl+Enter still sends', () => expect(keyAction(key('Enter', { ctrlKey: true }), true)).toBe('send'));
  });
});

describe('canReply', () => {
  it('lets the assignee reply in human', () => expect(canReply('human', 'u1', 'u1')).toBe(true));
  it('refuses a teammate who is not the assignee', () => expect(canReply('human', 'u1', 'u2')).toBe(false));
  it('decides by status when there is no assignee', () => expect(canReply('human', null, 'u2')).toBe(true));
  it('never replies outside human', () => expect(canReply('waiting', 'u1', 'u1')).toBe(false));
  it('still lets a teammate add a note', () =>
    expect(canSend({ text: 'n', sending: false, mode: 'note', status: 'human', assigneeId: 'u1', me: 'u2' })).toBe(true));
});

describe('canSend', () => {
  const base = { text: 'Hello', sending: false, mode: 'reply' as const, status: 'human' as const };
  it('allows a reply in a human conversation', () => expect(canSend(base)).toBe(true));
  it('refuses while sending', () => expect(canSend({ ...base, sending: true })).toBe(false));
  it('refuses empty or blank text', () => {
    expect(canSend({ ...base, text: '' })).toBe(false);
    expect(canSend({ ...base, text: '  \n\t ' })).toBe(false);
  });
  it('refuses a reply unless the conversation is human (H4)', () => {
    for (const status of ['bot', 'waiting', 'offline', 'resolved', 'closed', 'abandoned'] as const) {
      expect(canSend({ ...base, status })).toBe(false);
      expect(canReply(status)).toBe(false);
    }
  });
  it('allows a note in any status (H5)', () => {
    for (const status of ['bot', 'waiting', 'human', 'closed'] as const) expect(canSend({ ...base, mode: 'note', status })).toBe(true);
  });
});

describe('detectTrigger', () => {
  it('opens the mention picker on @ in a note', () => {
    expect(detectTrigger('Ask @', 5, 'note')).toEqual({ kind: 'mention', start: 4, query: '' });
    expect(detectTrigger('Ask @an', 7, 'note')).toEqual({ kind: 'mention', start: 4, query: 'an' });
    expect(detectTrigger('@an', 3, 'note')).toEqual({ kind: 'mention', start: 0, query: 'an' });
  });
  it('does not mention in a reply to the visitor', () => expect(detectTrigger('Ask @an', 7, 'reply')).toBeNull());
  it('ignores @ inside an email address', () => expect(detectTrigger('mail bob@ex', 11, 'note')).toBeNull());
  it('closes once a space is typed', () => expect(detectTrigger('Ask @ana ', 9, 'note')).toBeNull());
  it('opens canned responses on / at the start of a line', () => {
    expect(detectTrigger('/', 1, 'reply')).toEqual({ kind: 'canned', start: 0, query: '' });
    expect(detectTrigger('/ref', 4, 'reply')).toEqual({ kind: 'canned', start: 0, query: 'ref' });
    expect(detectTrigger('Hi\n/ref', 7, 'note')).toEqual({ kind: 'canned', start: 3, query: 'ref' });
  });
  it('ignores / in the middle of text (a URL, a date)', () => {
    expect(detectTrigger('see http://x', 12, 'reply')).toBeNull();
    expect(detectTrigger('on 1/2', 6, 'reply')).toBeNull();
    expect(detectTrigger('and /x', 6, 'reply')).toBeNull();
  });
  it('looks only before the caret', () => expect(detectTrigger('@ana hello', 2, 'note')).toEqual({ kind: 'mention', start: 0, query: 'a' }));
});

describe('applyPick', () => {
  it('inserts @FirstName and a space', () => {
    const r = applyPick('Ask @an about it', { kind: 'mention', start: 4, query: 'an' }, 7, 'Ana');
    expect(r.text).toBe('Ask @Ana about it');
    expect(r.caret).toBe('Ask @Ana'.length);
  });
  it('adds a space at the end of the text', () => {
    const r = applyPick('Ask @an', { kind: 'mention', start: 4, query: 'an' }, 7, 'Ana');
    expect(r.text).toBe('Ask @Ana ');
    expect(r.caret).toBe(9);
  });
  it('replaces /shortcut with the canned text', () => {
    const r = applyPick('/ref', { kind: 'canned', start: 0, query: 'ref' }, 4, 'Your refund is on its way.');
    expect(r.text).toBe('Your refund is on its way.');
    expect(r.caret).toBe(r.text.length);
  });
});

describe('cycle', () => {
  it('wraps around', () => {
    expect(cycle(0, -1, 3)).toBe(2);
    expect(cycle(2, 1, 3)).toBe(0);
    expect(cycle(0, 1, 0)).toBe(0);
  });
});

describe('attachments and Ctrl+/', () => {
  it('a file alone can be sent', () => {
    expect(canSend({ text: '', sending: false, mode: 'reply', status: 'human', hasFile: true })).toBe(true);
    expect(canSend({ text: '', sending: false, mode: 'reply', status: 'human', hasFile: false })).toBe(false);
    expect(canSend({ text: '', sending: true, mode: 'note', status: 'bot', hasFile: true })).toBe(false);
    expect(canSend({ text: '', sending: false, mode: 'reply', status: 'bot', hasFile: true })).toBe(false);
  });

  it('the Ctrl+/ picker searches what is typed after where it opened', () => {
    expect(anchoredQuery('Hello ', 6, 6)).toBe('');
    expect(anchoredQuery('Hello ref', 6, 9)).toBe('ref');
    expect(anchoredQuery('Hello /ref', 6, 10)).toBe('ref');
    expect(anchoredQuery('Hello ref x', 6, 11)).toBeNull(); // a space ends it
    expect(anchoredQuery('Hello', 6, 3)).toBeNull(); // caret moved before it
  });

  it('a pick from the Ctrl+/ picker replaces the typed search', () => {
    expect(applyPick('Hello ref', { kind: 'canned', start: 6, query: 'ref' }, 9, 'We refund within 14 days.')).toEqual({ text: 'Hello We refund within 14 days.', caret: 31 });
  });
});

describe('mentions in replies', () => {
  it('finds @mentions as the server does, not email addresses', () => {
    expect(mentionsIn('@Ann can you check?')).toEqual(['Ann']);
    expect(mentionsIn('Thanks, (@bob.smith) and @carl@example.com.')).toEqual(['bob.smith', 'carl@example.com']);
    expect(mentionsIn('Write to ann@example.com or me.')).toEqual([]);
    expect(mentionsIn('no mention @ here, nor a@b')).toEqual([]);
  });
  it('shows the hint for a reply that mentions someone, never for a note', () => {
    expect(replyMentionHint('reply', 'Hi, @Ann will follow up')).toBe(true);
    expect(replyMentionHint('reply', 'Hi, we will follow up')).toBe(false);
    expect(replyMentionHint('note', '@Ann please check')).toBe(false);
    expect(REPLY_MENTION_HINT).toBe('Mentions notify teammates in internal notes; this reply goes to the customer as written.');
  });
});
