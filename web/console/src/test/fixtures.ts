import type { Conversation, Message } from '../lib/types';

let n = 0;

export function conv(p: Partial<Conversation> & { id: string }): Conversation {
  n++;
  return {
    number: n,
    channel: 'web',
    status: 'bot',
    pending: false,
    priority: '',
    reason: '',
    turns: 1,
    last_seq: 1,
    last_message: 'hello',
    last_activity_at: '2025-01-01T10:00:00Z',
    contact: null,
    assignee: null,
    tags: [],
    labels: [],
    ...p,
  };
}

export function msg(p: Partial<Message> & { id: string; seq: number }): Message {
  return {
    conversation_id: 'c1',
    kind: 'visitor',
    sender_name: 'Visitor',
    content: 'text ' + p.id,
    attachments: [],
    created_at: new Date(Date.UTC(2025, 0, 1, 10, 0, p.seq)).toISOString(),
    ...p,
  };
}

export function at(minutes: number): string {
  return new Date(Date.UTC(2025, 0, 1, 10, minutes)).toISOString();
}
