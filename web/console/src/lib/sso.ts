// Single sign-on (issue 18): the sign-in page's "Sign in with …" button and the messages for
// the refusals the server sends back as /app/?sso_error=<code>.

/** GET /api/v1/sso/config: whether the button shows, and its label. */
export interface SsoConfig {
  enabled: boolean;
  name: string;
}

/** GET|PUT /api/v1/sso/settings (admins). */
export interface SsoSettings {
  signup_domains: string[];
}

/** Where the button leads: the server starts the flow and redirects to the provider. */
export const SSO_LOGIN_PATH = '/auth/oidc/login';

const FAILED = 'Single sign-on did not work. Try again, or sign in with your password.';

const MESSAGES: Record<string, string> = {
  disabled: 'Single sign-on is not set up on this server. Sign in with your password.',
  unavailable: "The identity provider can't be reached right now. Try again in a moment.",
  state: 'The sign-in took too long or was started in another tab. Try again.',
  denied: 'The sign-in was cancelled at the identity provider.',
  failed: FAILED,
  email_unverified: 'Your identity provider has not verified your email address, so Baton cannot sign you in with it.',
  no_account: 'No Baton account is open to your email address. Ask an admin of your team to add you.',
  deactivated: 'Your Baton user is deactivated. Ask an admin of your team to reactivate you.',
};

/** The message for an sso_error code ('' for none); an unknown code gets a general one. */
export function ssoErrorText(code: string | null | undefined): string {
  if (!code) return '';
  return MESSAGES[code] ?? FAILED;
}

/** Splits what an admin typed (commas, spaces or lines) into domains, lower-cased, without repeats. */
export function parseDomains(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\s,;]+/)) {
    const d = part.trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '');
    if (d && !out.includes(d)) out.push(d);
  }
  return out;
}

/** Reads sso_error from a URL's query and returns it with the URL to show without it. */
export function takeSsoError(href: string): { code: string; cleaned: string } | null {
  const u = new URL(href);
  const code = u.searchParams.get('sso_error');
  if (code === null) return null;
  u.searchParams.delete('sso_error');
  return { code, cleaned: u.pathname + u.search + u.hash };
}
