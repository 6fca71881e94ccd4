// Teammates and labels: read once after sign-in, refreshed on demand (transfer dialog,
// settings). Used to name assignees and to fill the @ picker.
import { api } from '../lib/api';
import type { Label, Queue, User, UserRef } from '../lib/types';
import { userName } from '../lib/format';

export class TeamStore {
  users = $state.raw<User[]>([]);
  labels = $state.raw<Label[]>([]);
  usersStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  labelsStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  queues = $state.raw<Queue[]>([]);
  queuesStatus = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
  /** Tag names in use (for autocompletion). */
  tags = $state.raw<string[]>([]);

  async loadUsers(): Promise<void> {
    this.usersStatus = 'loading';
    try {
      const r = await api.get<{ users: User[] }>('/api/v1/users');
      this.users = r.users ?? [];
      this.usersStatus = 'ready';
    } catch {
      this.usersStatus = 'error';
    }
  }

  async loadLabels(): Promise<void> {
    this.labelsStatus = 'loading';
    try {
      const r = await api.get<{ labels: Label[] }>('/api/v1/labels');
      this.labels = r.labels ?? [];
      this.labelsStatus = 'ready';
    } catch {
      this.labelsStatus = 'error';
    }
  }

  async loadQueues(): Promise<void> {
    if (this.queuesStatus !== 'ready') this.queuesStatus = 'loading';
    try {
      const r = await api.get<{ queues: Queue[] }>('/api/v1/queues');
      this.queues = r.queues ?? [];
      this.queuesStatus = 'ready';
    } catch {
      this.queuesStatus = 'error';
    }
  }

  async loadTags(): Promise<void> {
    try {
      const r = await api.get<{ tags: string[] }>('/api/v1/tags');
      this.tags = r.tags ?? [];
    } catch {
      // Autocompletion is a convenience: without it, tags are typed in full.
    }
  }

  /** A teammate's availability changed (presence frame). */
  setAvailability(id: string, a: User['availability']): void {
    if (!this.users.some((u) => u.id === id && u.availability !== a)) return;
    this.users = this.users.map((u) => (u.id === id ? { ...u, availability: a } : u));
  }

  queueName(id: string | undefined | null): string {
    if (!id) return '';
    return this.queues.find((q) => q.id === id)?.name ?? '';
  }

  user(id: string | undefined | null): User | undefined {
    if (!id) return undefined;
    return this.users.find((u) => u.id === id);
  }

  ref(id: string | undefined | null): UserRef | null {
    const u = this.user(id);
    return u ? { id: u.id, name: userName(u), email: u.email } : null;
  }

  labelColor(name: string): string {
    return this.labels.find((l) => l.name === name)?.color ?? '#8a94a6';
  }

  reset(): void {
    this.users = [];
    this.labels = [];
    this.usersStatus = 'idle';
    this.labelsStatus = 'idle';
    this.queues = [];
    this.queuesStatus = 'idle';
    this.tags = [];
  }
}

export const team = new TeamStore();
