// The audit log (issue 18): Settings → Audit log reads GET /api/v1/audit-log, and the
// conversation's Details tab exports or erases the contact (GDPR).
import { api, query } from './api';

/** One entry of GET /api/v1/audit-log. */
export interface AuditItem {
  id: string;
  at: string;
  actor: { id: string; email: string } | null;
  action: string;
  target: string;
  ip: string;
  detail: Record<string, unknown>;
}

export interface AuditPage {
  items: AuditItem[];
  next_cursor: string;
}

export interface AuditFilter {
  /** An exact action or a group ending with a dot ("user."). */
  action?: string;
  actor?: string;
  /** Dates as the date input gives them (YYYY-MM-DD), both days included. */
  from?: string;
  to?: string;
}

/** GET|PUT /api/v1/audit-log/settings. */
export interface AuditSettings {
  retention_days: number;
}

export const MIN_RETENTION_DAYS = 7;
export const MAX_RETENTION_DAYS = 3650;

/** The action groups the filter offers. */
export const ACTION_GROUPS: { value: string; label: string }[] = [
  { value: '', label: 'All actions' },
  { value: 'session.', label: 'Sign-ins and sign-outs' },
  { value: 'user.', label: 'Users' },
  { value: 'token.', label: 'API tokens' },
  { value: 'chatbot.', label: 'Chatbot settings' },
  { value: 'channel.', label: 'Channels' },
  { value: 'webhook.', label: 'Webhooks' },
  { value: 'settings.', label: 'Account settings' },
  { value: 'contact.', label: 'Contact exports and erasures' },
];

const ACTIONS: Record<string, string> = {
  'session.sign_in': 'Signed in',
  'session.sign_in_failed': 'Failed to sign in',
  'session.sign_out': 'Signed out',
  'session.sign_out_everywhere': 'Signed out everywhere',
  'user.create': 'Added a user',
  'user.update': 'Changed a user',
  'user.role_change': 'Changed a role',
  'user.deactivate': 'Deactivated a user',
  'user.reactivate': 'Reactivated a user',
  'user.password_change': 'Changed a password',
  'user.password_reset': 'Reset a password',
  'user.email_change': 'Changed an email address',
  'token.create': 'Created an API token',
  'token.revoke': 'Revoked an API token',
  'chatbot.update': 'Changed chatbot settings',
  'chatbot.identity_secret_rotate': 'Rotated the identity secret',
  'channel.update': 'Configured a channel',
  'channel.delete': 'Disconnected a channel',
  'webhook.update': 'Changed webhooks',
  'settings.update': 'Changed settings',
  'contact.export': 'Exported contact data',
  'contact.erase': 'Erased a contact',
};

/** The action in words; an action this console does not know is shown as sent. */
export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action;
}

/** The day after a YYYY-MM-DD date (so that "to" includes that whole day). */
export function nextDay(date: string): string {
  const d = new Date(date + 'T00:00:00Z');
  if (Number.isNaN(d.getTime())) return '';
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The query of one page of the log. */
export function auditQuery(f: AuditFilter, cursor = '', limit = 50): string {
  return query({ action: f.action, actor: f.actor, from: f.from, to: f.to ? nextDay(f.to) : '', cursor, limit });
}

/** A short summary of an entry's detail ("fields: greeting, ai.model"), never more than a line. */
export function detailText(detail: Record<string, unknown> | null | undefined): string {
  if (!detail) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(detail)) {
    const val = Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    parts.push(`${k.replace(/_/g, ' ')}: ${val}`);
  }
  const s = parts.join(' · ');
  return s.length > 160 ? s.slice(0, 159) + '…' : s;
}

export function loadAudit(f: AuditFilter, cursor = ''): Promise<AuditPage> {
  return api.get<AuditPage>('/api/v1/audit-log' + auditQuery(f, cursor));
}

export const auditSettings = {
  get: () => api.get<AuditSettings>('/api/v1/audit-log/settings'),
  put: (days: number) => api.put<AuditSettings>('/api/v1/audit-log/settings', { retention_days: days }),
};

/** The path of a contact's data export (GET; sent as a JSON download). */
export function contactExportPath(contactId: string): string {
  return `/api/v1/contacts/${encodeURIComponent(contactId)}/export`;
}

/** Erases the contact's personal data (DELETE /api/v1/contacts/{id}). */
export function eraseContact(contactId: string): Promise<void> {
  return api.del<void>(`/api/v1/contacts/${encodeURIComponent(contactId)}`);
}

/** The word the erase dialog asks to type. */
export const ERASE_CONFIRMATION = 'ERASE';

export function eraseConfirmed(typed: string): boolean {
  return typed.trim() === ERASE_CONFIRMATION;
}
