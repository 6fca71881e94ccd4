// Pure helpers of Settings → Channels (SPEC §4, docs/channels.md): labels and hints of each
// kind's fields, the body of PUT /api/v1/chatbots/{chatbot}/channels/{kind} (a secret left
// empty keeps the stored one), and which field an API error is about.
import type { ChannelField, ChannelView } from './types';

export const KIND_ORDER = ['telegram', 'whatsapp', 'messenger', 'email'];

export const KIND_LABELS: Record<string, string> = { telegram: 'Telegram', whatsapp: 'WhatsApp', messenger: 'Messenger', email: 'Email' };

/** Where the webhook URL goes, per kind. */
export const WEBHOOK_HINTS: Record<string, string> = {
  telegram: 'Baton registers this URL with Telegram (setWebhook) when you save; nothing to paste.',
  whatsapp: 'Paste it as the callback URL in Meta’s dashboard (WhatsApp → Configuration) with the verify token, and subscribe to “messages”.',
  messenger: 'Paste it as the callback URL of your Meta app’s Messenger webhook, with the verify token.',
  email: 'Point your mail provider’s inbound route here (raw mail, message/rfc822) with Authorization: Bearer <inbound secret>. Without it, mail comes in by IMAP.',
};

export const KIND_HINTS: Record<string, string> = {
  telegram: 'Create a bot with @BotFather and paste its token.',
  whatsapp: 'From Meta’s developer dashboard: the phone number id, a permanent access token, the app secret, and a verify token of your choice.',
  messenger: 'From Meta’s developer dashboard: the page id, a page access token, the app secret, and a verify token of your choice.',
  email: 'The address replies come from, the SMTP server that sends them and, optionally, the IMAP mailbox to read.',
};

export const FIELD_LABELS: Record<string, string> = {
  bot_token: 'Bot token',
  webhook_secret: 'Webhook secret',
  phone_number_id: 'Phone number id',
  access_token: 'Access token',
  app_secret: 'App secret',
  verify_token: 'Verify token',
  page_id: 'Page id',
  page_access_token: 'Page access token',
  from_address: 'From address',
  imap_host: 'IMAP host',
  imap_port: 'IMAP port',
  imap_user: 'IMAP user',
  imap_password: 'IMAP password',
  imap_tls: 'IMAP over TLS (port 993)',
  smtp_host: 'SMTP host',
  smtp_port: 'SMTP port',
  smtp_user: 'SMTP user',
  smtp_password: 'SMTP password',
  smtp_tls: 'SMTP over TLS from the start (port 465; otherwise STARTTLS when offered)',
  inbound_secret: 'Inbound secret',
};

export const FIELD_PLACEHOLDERS: Record<string, string> = {
  bot_token: '123456789:AA…',
  phone_number_id: '106540352242922',
  page_id: '118190054559331',
  from_address: 'Acme Support <support@acme.com>',
  imap_host: 'imap.acme.com',
  imap_port: '993',
  smtp_host: 'smtp.acme.com',
  smtp_port: '587',
};

export function fieldLabel(name: string): string {
  return FIELD_LABELS[name] ?? name.replace(/_/g, ' ');
}

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/** The channels in a stable order: Telegram, WhatsApp, Messenger, Email, then any other. */
export function sortChannels(list: readonly ChannelView[]): ChannelView[] {
  const rank = (k: string) => {
    const i = KIND_ORDER.indexOf(k);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return [...list].sort((a, b) => rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind));
}

export type ChannelState = 'connected' | 'not_configured' | 'disconnected' | 'error';

/** What the badge says: an error reported by the provider wins over "connected". */
export function channelState(v: Pick<ChannelView, 'status' | 'error'>): ChannelState {
  if (v.error) return 'error';
  if (v.status === 'connected') return 'connected';
  if (v.status === 'disconnected') return 'disconnected';
  return 'not_configured';
}

export const STATE_LABELS: Record<ChannelState, string> = {
  connected: 'Connected',
  not_configured: 'Not configured',
  disconnected: 'Disconnected',
  error: 'Error',
};

export type FormValues = Record<string, string | boolean>;

/** The form's starting values: the stored settings; secrets always start empty. */
export function initialValues(v: ChannelView): FormValues {
  const out: FormValues = {};
  for (const f of v.fields ?? []) {
    const cur = v.settings?.[f.name];
    if (f.secret) out[f.name] = '';
    else if (f.type === 'bool') out[f.name] = cur === true;
    else if (f.type === 'int') out[f.name] = typeof cur === 'number' && cur !== 0 ? String(cur) : '';
    else out[f.name] = typeof cur === 'string' ? cur : cur === undefined || cur === null ? '' : String(cur);
  }
  return out;
}

/** Whether a secret is stored (its value is never shown). */
export function secretSet(v: Pick<ChannelView, 'secrets_set'>, name: string): boolean {
  return (v.secrets_set ?? []).includes(name);
}

export interface FieldError {
  field: string;
  message: string;
}

/** What is missing or malformed before the form is sent (the server checks again). */
export function checkChannel(fields: readonly ChannelField[], values: FormValues, v: Pick<ChannelView, 'secrets_set'>): FieldError[] {
  const out: FieldError[] = [];
  for (const f of fields) {
    const val = values[f.name];
    if (f.type === 'bool') continue;
    const s = typeof val === 'string' ? val.trim() : '';
    if (f.type === 'int' && s !== '' && !/^\d{1,5}$/.test(s)) out.push({ field: f.name, message: `${fieldLabel(f.name)} must be a whole number from 0 to 65535.` });
    else if (f.type === 'int' && s !== '' && Number(s) > 65535) out.push({ field: f.name, message: `${fieldLabel(f.name)} must be a whole number from 0 to 65535.` });
    if (f.required && s === '' && !(f.secret && secretSet(v, f.name))) out.push({ field: f.name, message: `${fieldLabel(f.name)} is required.` });
    if (f.name === 'webhook_secret' && s !== '' && !/^[A-Za-z0-9_-]{1,256}$/.test(s)) out.push({ field: f.name, message: 'Only letters, digits, _ and - (256 at most).' });
  }
  return out;
}

/**
 * The PUT body: every setting as typed (ints as numbers), and only the secrets that were
 * typed — an absent secret keeps the stored one.
 */
export function channelBody(fields: readonly ChannelField[], values: FormValues): Record<string, string | number | boolean> {
  const body: Record<string, string | number | boolean> = {};
  for (const f of fields) {
    const val = values[f.name];
    if (f.type === 'bool') {
      body[f.name] = val === true;
      continue;
    }
    const s = typeof val === 'string' ? val.trim() : '';
    if (f.secret) {
      if (s !== '') body[f.name] = s;
    } else if (f.type === 'int') {
      body[f.name] = s === '' ? 0 : Number(s);
    } else {
      body[f.name] = s;
    }
  }
  return body;
}

/**
 * The field an API error message is about, when it names one ("bot_token is required for a
 * telegram channel.", "webhook_secret may hold only…"), so it can be shown by that field;
 * '' for the form.
 */
export function errorField(message: string, names: readonly string[]): string {
  const m = /^([a-z_]+)\b/.exec(message);
  if (m && names.includes(m[1]!)) return m[1]!;
  for (const n of names) if (new RegExp(`\\b${n}\\b`).test(message)) return n;
  return '';
}
