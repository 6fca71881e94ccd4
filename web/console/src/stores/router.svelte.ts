// A very small history router for the console's places: the inbox (and an open
// conversation), the tickets (and an open ticket), and settings. The Go handler answers
// index.html for any /app/… path.

export type Route =
  | { name: 'inbox'; conversationId: string | null }
  | { name: 'tickets'; ticketId: string | null }
  | { name: 'settings'; tab: SettingsTab };

export type SettingsTab = 'profile' | 'team' | 'chatbots' | 'channels' | 'queues' | 'canned-responses' | 'labels' | 'tokens' | 'webhooks' | 'sso' | 'audit-log';
const TABS: SettingsTab[] = ['profile', 'team', 'chatbots', 'channels', 'queues', 'canned-responses', 'labels', 'tokens', 'webhooks', 'sso', 'audit-log'];

export const BASE = (import.meta.env?.BASE_URL as string | undefined) ?? '/app/';

export function parseRoute(pathname: string, base = BASE): Route {
  let p = pathname.startsWith(base) ? pathname.slice(base.length) : pathname.replace(/^\/+/, '');
  p = p.replace(/\/+$/, '');
  const parts = p.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  if (parts[0] === 'conversations' && parts[1]) return { name: 'inbox', conversationId: parts[1] };
  if (parts[0] === 'tickets') return { name: 'tickets', ticketId: parts[1] ?? null };
  if (parts[0] === 'settings') {
    const tab = (TABS as string[]).includes(parts[1] ?? '') ? (parts[1] as SettingsTab) : 'profile';
    return { name: 'settings', tab };
  }
  return { name: 'inbox', conversationId: null };
}

export function routePath(r: Route, base = BASE): string {
  if (r.name === 'settings') return `${base}settings/${r.tab}`;
  if (r.name === 'tickets') return r.ticketId ? `${base}tickets/${encodeURIComponent(r.ticketId)}` : `${base}tickets`;
  return r.conversationId ? `${base}conversations/${encodeURIComponent(r.conversationId)}` : base;
}

class Router {
  route = $state<Route>({ name: 'inbox', conversationId: null });

  start(): void {
    this.route = parseRoute(location.pathname);
    addEventListener('popstate', () => (this.route = parseRoute(location.pathname)));
  }

  go(r: Route, replace = false): void {
    const path = routePath(r);
    if (path !== location.pathname) {
      if (replace) history.replaceState(null, '', path);
      else history.pushState(null, '', path);
    }
    this.route = r;
  }

  openConversation(id: string | null): void {
    this.go({ name: 'inbox', conversationId: id });
  }

  openTicket(id: string | null): void {
    this.go({ name: 'tickets', ticketId: id });
  }
}

export const router = new Router();
