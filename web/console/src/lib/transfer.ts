// The transfer dialog's rules (Q3): which agents can take the conversation, why the others
// cannot, and what a refused transfer says.
import { ApiError } from './api';
import { userName } from './format';
import type { Agent } from './types';

export interface AgentChoice {
  agent: Agent;
  name: string;
  /** "load / capacity", e.g. "3 / 5". */
  loadText: string;
  disabled: boolean;
  /** Why the agent cannot be chosen ('' when they can). */
  reason: string;
}

const ORDER: Record<string, number> = { online: 0, busy: 1, away: 2, offline: 3 };

export function loadText(a: Pick<Agent, 'load' | 'capacity'>): string {
  return `${a.load ?? 0} / ${a.capacity ?? 0}`;
}

/** Why an agent cannot receive the conversation, or ''. */
export function unavailableReason(a: Agent, meId: string, assigneeId: string | null | undefined): string {
  if (a.id === meId) return 'You';
  if (assigneeId && a.id === assigneeId) return 'Already assigned';
  if (a.availability === 'offline') return 'Offline';
  if ((a.load ?? 0) >= (a.capacity ?? 0)) return 'At capacity';
  return '';
}

/** The agents in the order the dialog lists them: available first, then by availability and name. */
export function agentChoices(agents: Agent[], meId: string, assigneeId: string | null | undefined): AgentChoice[] {
  return agents
    .map((agent) => {
      const reason = unavailableReason(agent, meId, assigneeId);
      return { agent, name: userName(agent), loadText: loadText(agent), disabled: reason !== '', reason };
    })
    .sort(
      (x, y) =>
        Number(x.disabled) - Number(y.disabled) ||
        (ORDER[x.agent.availability] ?? 9) - (ORDER[y.agent.availability] ?? 9) ||
        x.name.localeCompare(y.name),
    );
}

/** The dialog's text for a refused transfer. */
export function transferErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 409) return err.code === 'http_409' ? 'The conversation cannot be transferred right now.' : err.message;
    if (err.status === 403) return err.code === 'http_403' ? 'You are not allowed to transfer this conversation.' : err.message;
    if (err.status === 404) return err.code === 'http_404' ? 'That agent or queue no longer exists.' : err.message;
    return err.message;
  }
  return 'The conversation was not transferred.';
}
