// The signed-in user (feature 1). The server keeps the session in an HttpOnly cookie;
// this store only knows who is signed in and why they were signed out.
import { api, ApiError, NETWORK_ERROR, setUnauthorizedHandler } from '../lib/api';
import type { Session, User } from '../lib/types';

export type SessionState = 'loading' | 'signedOut' | 'signedIn';

export const EXPIRED_MESSAGE = 'Your session has expired. Sign in again.';
export const INVALID_MESSAGE = 'Invalid email or password.';

export function signInErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return INVALID_MESSAGE;
    if (err.status === 429) {
      const wait = err.retryAfter > 0 ? ` Wait ${err.retryAfter} second${err.retryAfter === 1 ? '' : 's'} and try again.` : ' Wait a little and try again.';
      return 'Too many sign-in attempts.' + wait;
    }
    if (err.status === 0) return NETWORK_ERROR;
    return err.message;
  }
  return NETWORK_ERROR;
}

export class SessionStore {
  state = $state<SessionState>('loading');
  user = $state<User | null>(null);
  /** Why the user is on the sign-in page (expired session), if anything. */
  notice = $state('');
  /** Called after sign-in and sign-out (the app starts and stops its live parts). */
  private listeners = new Set<(u: User | null) => void>();

  constructor() {
    setUnauthorizedHandler(() => this.expire());
  }

  get isAdmin(): boolean {
    return this.user?.role === 'admin' || this.user?.role === 'owner';
  }

  onChange(fn: (u: User | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(u: User | null) {
    this.user = u;
    this.state = u ? 'signedIn' : 'signedOut';
    for (const fn of this.listeners) fn(u);
  }

  /** Reads /me on load; a 401 simply means "not signed in". */
  async load(): Promise<void> {
    try {
      const u = await api.get<User>('/api/v1/me', { quiet401: true });
      this.set(u);
    } catch {
      this.set(null);
    }
  }

  /** Re-reads /me (availability changes when the console's socket opens). */
  async refresh(): Promise<void> {
    if (this.state !== 'signedIn') return;
    try {
      const u = await api.get<User>('/api/v1/me', { quiet401: true });
      if (this.state === 'signedIn' && this.user?.id === u.id) this.user = u;
    } catch {
      // The next call that fails for real signs out.
    }
  }

  /** A presence frame about the signed-in user. */
  setAvailability(a: User['availability']): void {
    if (this.user) this.user = { ...this.user, availability: a };
  }

  async signIn(email: string, password: string): Promise<void> {
    const s = await api.post<Session>('/api/v1/session', { email, password }, { quiet401: true });
    this.notice = '';
    this.set(s.user);
  }

  async signOut(): Promise<void> {
    try {
      await api.del('/api/v1/session', { quiet401: true });
    } catch {
      // Signing out locally is what matters; the cookie is cleared by the server or expires.
    }
    this.notice = '';
    this.set(null);
  }

  /** Any 401 while signed in: back to the sign-in page with an explanation. */
  expire(): void {
    if (this.state !== 'signedIn') return;
    this.notice = EXPIRED_MESSAGE;
    this.set(null);
  }

  /** Changes the password (the current one is required); the other sessions end. */
  async changePassword(current: string, next: string): Promise<void> {
    const u = await api.patch<User>('/api/v1/me', { password: next, current_password: current });
    this.user = u;
  }

  /** Ends every session of the user, this one included. */
  async signOutEverywhere(): Promise<number> {
    const r = await api.del<{ ended: number }>('/api/v1/sessions');
    this.notice = 'You were signed out on every device.';
    this.set(null);
    return r.ended;
  }

  async updateMe(patch: Partial<Pick<User, 'first_name' | 'last_name' | 'availability' | 'capacity' | 'notification_settings'>>): Promise<User> {
    const u = await api.patch<User>('/api/v1/me', patch);
    this.user = u;
    return u;
  }
}

export const session = new SessionStore();
