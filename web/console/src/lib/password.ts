// The console's early word on a new password. The server decides (baton.ValidatePassword:
// length, a list of common passwords, patterns); this catches the obvious before a round trip.
export const MIN_PASSWORD_LENGTH = 12;

const COMMON = ['password', 'passw0rd', 'qwerty', 'letmein', 'welcome', 'admin', 'iloveyou', 'monkey', 'dragon', 'baton'];

/** What is wrong with password, or '' when the console sees nothing wrong. */
export function passwordProblem(password: string, email: string): string {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  const p = password.toLowerCase();
  const core = p.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  if (COMMON.includes(core)) return 'This password is too common.';
  if (/^(.{1,4})\1+$/u.test(p)) return 'A repeated pattern is easy to guess.';
  const e = email.trim().toLowerCase();
  if (e && (p === e || p.includes(e))) return 'Do not use your email address.';
  return '';
}
