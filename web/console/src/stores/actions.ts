// Agent actions on the open conversation (H3, A6) and detail changes (A7): call the API,
// put the answer into the thread and the list, and say how it went in a toast.
import { api, ApiError, errorText } from '../lib/api';
import type { Action, Conversation, Message } from '../lib/types';
import { conversations } from './conversations.svelte';
import { thread } from './thread.svelte';
import { toasts } from './toasts.svelte';

export const ACTION_SUCCESS: Record<Action, string> = {
  join: 'Join requested. Accept the conversation to start replying.',
  accept: 'Conversation accepted. You can reply now.',
  release: 'Conversation returned to AI.',
  resolve: 'Conversation resolved.',
  close: 'Conversation closed.',
  reopen: 'Conversation reopened. The AI is answering again.',
  transfer: 'Conversation transferred.',
};

export const ACTION_FAILED = 'Failed to update conversation status.';

function apply(c: Conversation): void {
  thread.setConversation(c);
  conversations.update(c);
}

export async function runAction(id: string, action: Action, body?: { note?: string }): Promise<boolean> {
  try {
    const c = await api.post<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}/actions/${action}`, body ?? {});
    apply(c);
    toasts.success(ACTION_SUCCESS[action]);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return false;
    toasts.error(ACTION_FAILED, errorText(err));
    return false;
  }
}

export interface ConversationPatch {
  priority?: string;
  assignee_id?: string;
  collaborators?: string[];
  tags?: string[];
  labels?: string[];
  contact?: { email?: string; name?: string };
}

export async function updateConversation(id: string, patch: ConversationPatch, success?: string): Promise<boolean> {
  try {
    const c = await api.patch<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}`, patch);
    apply(c);
    if (success) toasts.success(success);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return false;
    toasts.error('Failed to update the conversation.', errorText(err));
    return false;
  }
}

export const REPLY_CONFLICT = 'Can only reply to handed-off conversations.';
export const RATE_LIMITED = "You're sending messages too fast — wait a few seconds.";
/** The code of a reply refused because the channel's window closed (WhatsApp, Messenger). */
export const WINDOW_CLOSED = 'window_closed';

/** Whether a failed send was refused because the reply window closed. */
export function isWindowClosed(err: unknown): err is ApiError {
  return err instanceof ApiError && err.status === 409 && err.code === WINDOW_CLOSED;
}

/** The composer's error text for a failed send. */
export function sendErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 409) return err.code === WINDOW_CLOSED ? err.message : REPLY_CONFLICT;
    if (err.status === 429) return err.retryAfter > 0 ? `${RATE_LIMITED} (Try again in ${err.retryAfter} s.)` : RATE_LIMITED;
    return err.message;
  }
  return 'The message was not sent.';
}

/** Shows a message the agent just created in the thread and the list (the socket echo is deduplicated). */
export function recordSent(m: Message): void {
  thread.addMessage(m);
  conversations.applyFrame({ type: 'message_created', conversation_id: m.conversation_id, seq: m.seq, data: m });
}

export async function sendMessage(id: string, content: string, isPrivate: boolean): Promise<Message> {
  const m = await api.post<Message>(`/api/v1/conversations/${encodeURIComponent(id)}/messages`, { content, private: isPrivate });
  recordSent({ ...m, conversation_id: m.conversation_id || id });
  return m;
}

export type TransferTarget = { agent_id: string; note?: string } | { queue_id: string; note?: string };

/** Transfers the conversation (Q3); throws the ApiError so the dialog can say why it was refused. */
export async function transferConversation(id: string, body: TransferTarget, success: string): Promise<Conversation> {
  const c = await api.post<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}/actions/transfer`, body);
  apply(c);
  toasts.success(success);
  return c;
}

/** Sends an approved WhatsApp template with its parameters (after the 24-hour window, C3). */
export async function sendTemplate(id: string, templateId: string, parameters: string[]): Promise<Message> {
  const m = await api.post<Message>(`/api/v1/conversations/${encodeURIComponent(id)}/template`, { template_id: templateId, parameters });
  recordSent({ ...m, conversation_id: m.conversation_id || id });
  return m;
}
