// WhatsApp templates (C3): the text an agent reads for a template with its parameters, and
// what the composer says about a conversation's reply window.
import type { ChannelTemplate, ChannelWindow } from './types';

/**
 * The template's body with {{1}}, {{2}}… replaced — the server's RenderChannelTemplate,
 * so the preview is the message that will be stored; a template without a body reads as
 * its name and parameters.
 */
export function renderTemplate(t: Pick<ChannelTemplate, 'name' | 'language' | 'body'>, params: readonly string[]): string {
  if (!t.body.trim()) {
    let s = `[Template ${t.name} (${t.language})]`;
    if (params.length > 0) s += ' ' + params.join(' · ');
    return s;
  }
  let body = t.body;
  for (let i = params.length; i >= 1; i--) body = body.split(`{{${i}}}`).join(params[i - 1]!);
  return body;
}

/** The highest {{n}} of a body (how many parameters it takes). */
export function placeholderCount(body: string): number {
  let n = 0;
  for (const m of body.matchAll(/\{\{(\d+)\}\}/g)) n = Math.max(n, Number(m[1]));
  return n;
}

/** "customer name, order number" → ["customer name", "order number"]. */
export function parseParameterNames(s: string): string[] {
  return s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

export const WHATSAPP_CLOSED = 'The 24-hour reply window has closed. Send an approved template instead.';
export const MESSENGER_CLOSED = 'The visitor last wrote on Messenger more than 7 days ago: Messenger accepts no reply until they write again.';

export type WindowMode = 'open' | 'template' | 'blocked';

/** What the composer offers in reply mode: free text, a template, or nothing. */
export function windowMode(w: ChannelWindow | null | undefined): WindowMode {
  if (!w || w.open) return 'open';
  return w.template_required ? 'template' : 'blocked';
}

/** The channels whose window the console checks. */
export function hasWindow(channel: string): boolean {
  return channel === 'whatsapp' || channel === 'messenger';
}
