import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { agentChoices, loadText, transferErrorText } from './transfer';
import type { Agent } from './types';

function agent(p: Partial<Agent> & { id: string }): Agent {
  return {
    account_id: 'a',
    email: p.id + '@example.com',
    first_name: p.id,
    last_name: '',
    role: 'agent',
    availability: 'online',
    capacity: 5,
    notification_settings: { desktop: true, sound: true },
    created_at: '',
    load: 0,
    online: true,
    ...p,
  };
}

describe('transfer choices', () => {
  it('shows load / capacity and why an agent cannot take it', () => {
    const list = agentChoices(
      [
        agent({ id: 'zoe', load: 3, capacity: 5 }),
        agent({ id: 'off', availability: 'offline', online: false }),
        agent({ id: 'full', load: 5, capacity: 5 }),
        agent({ id: 'me' }),
        agent({ id: 'holder' }),
        agent({ id: 'away', availability: 'away' }),
        agent({ id: 'amy', load: 1, capacity: 3 }),
      ],
      'me',
      'holder',
    );
    expect(list.map((c) => [c.name, c.loadText, c.disabled, c.reason])).toEqual([
      ['amy', '1 / 3', false, ''],
      ['zoe', '3 / 5', false, ''],
      ['away', '0 / 5', false, ''],
      ['full', '5 / 5', true, 'At capacity'],
      ['holder', '0 / 5', true, 'Already assigned'],
      ['me', '0 / 5', true, 'You'],
      ['off', '0 / 5', true, 'Offline'],
    ]);
    expect(loadText({ load: 3, capacity: 5 })).toBe('3 / 5');
  });

  it('explains a refused transfer kindly', () => {
    expect(transferErrorText(new ApiError(409, 'conflict', 'Bob is at capacity (5 of 5 conversations).'))).toBe('Bob is at capacity (5 of 5 conversations).');
    expect(transferErrorText(new ApiError(403, 'forbidden', "Bob is not a member of this conversation's queue."))).toBe("Bob is not a member of this conversation's queue.");
    expect(transferErrorText(new ApiError(409, 'http_409', 'The server answered 409.'))).toBe('The conversation cannot be transferred right now.');
    expect(transferErrorText(new ApiError(403, 'http_403', 'The server answered 403.'))).toBe('You are not allowed to transfer this conversation.');
    expect(transferErrorText(new Error('x'))).toBe('The conversation was not transferred.');
  });
});
