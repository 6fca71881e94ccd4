// Pure helpers of Settings → Webhooks (SPEC §9 X5): what each event means, a delivery's
// status and timing, and the checks of the subscription form.
import type { WebhookDelivery } from './types';

export const EVENT_HINTS: Record<string, string> = {
  'conversation.created': 'A visitor starts a conversation',
  'conversation.status_changed': 'A conversation changes status',
  'conversation.assigned': 'A conversation is assigned to an agent',
  'conversation.closed': 'A conversation is closed',
  'message.created': 'Any message: visitor, bot, agent or note',
  'handoff.started': 'A conversation is handed to a person',
  'handoff.ended': 'A conversation goes back to the AI',
  'ticket.created': 'A ticket is created',
};

export const DELIVERY_STATUS_LABELS: Record<string, string> = {
  pending: 'Pending',
  retrying: 'Retrying',
  succeeded: 'Succeeded',
  failed: 'Failed',
};

export function deliveryStatusLabel(s: string): string {
  return DELIVERY_STATUS_LABELS[s] ?? s;
}

/** "85 ms", "1.2 s", "" when unknown. */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}

/** The latest attempt of a delivery (the log is oldest first), if any. */
export function lastAttempt(d: Pick<WebhookDelivery, 'log'>) {
  const log = d.log ?? [];
  let best = log[0];
  for (const a of log) if (best && a.attempt > best.attempt) best = a;
  return best;
}

/** Whether the log will change by itself soon (a delivery not finished yet). */
export function isUnfinished(d: Pick<WebhookDelivery, 'status'>): boolean {
  return d.status === 'pending' || d.status === 'retrying';
}

/** What the webhook form sends (POST and PATCH /api/v1/webhooks). */
export interface WebhookInput {
  url: string;
  description: string;
  events: string[];
  active: boolean;
}

export interface WebhookFormProblem {
  field: 'url' | 'events';
  message: string;
}

export function checkWebhook(url: string, events: readonly string[]): WebhookFormProblem[] {
  const out: WebhookFormProblem[] = [];
  const u = url.trim();
  let ok = false;
  try {
    const p = new URL(u);
    ok = (p.protocol === 'https:' || p.protocol === 'http:') && p.hostname !== '';
  } catch {
    ok = false;
  }
  if (!u) out.push({ field: 'url', message: 'The URL is required.' });
  else if (!ok) out.push({ field: 'url', message: 'An http(s) URL, such as https://example.com/baton-events.' });
  else if (u.length > 2048) out.push({ field: 'url', message: 'The URL is 2,048 characters at most.' });
  if (events.length === 0) out.push({ field: 'events', message: 'Choose at least one event.' });
  return out;
}
