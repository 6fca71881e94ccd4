import { describe, expect, it } from 'vitest';
import type { Status } from './types';
import { detailsStatusLabel, handoffControls, statusLabel } from './format';

const ALL: Status[] = ['bot', 'waiting', 'human', 'offline', 'resolved', 'closed', 'abandoned'];

describe('status names', () => {
  it("the list and header use the Conversations page's words (001)", () => {
    expect(ALL.map((status) => statusLabel({ status, pending: false }))).toEqual([
      'AI-Handling',
      'Escalated',
      'Agent Active',
      'Awaiting Offline Info',
      'Resolved',
      'Closed',
      'Abandoned',
    ]);
    expect(statusLabel({ status: 'human', pending: true })).toBe('Pending');
  });
  it("the Details panel uses the Live Chat Panel's names (004)", () => {
    expect(ALL.map((status) => detailsStatusLabel({ status }))).toEqual([
      'Active (AI)',
      'Waiting for Human',
      'Active (Human)',
      'Awaiting Offline Info',
      'Resolved',
      'Closed',
      'Abandoned',
    ]);
  });
});

describe('handoffControls', () => {
  it('enables Join, Accept, Release and End Conversation as the status allows', () => {
    expect(handoffControls('bot')).toEqual({ join: true, accept: false, release: false, end: false });
    expect(handoffControls('waiting')).toEqual({ join: false, accept: true, release: false, end: false });
    expect(handoffControls('offline')).toEqual({ join: false, accept: true, release: false, end: false });
    expect(handoffControls('human')).toEqual({ join: false, accept: false, release: true, end: true });
    for (const s of ['resolved', 'closed', 'abandoned'] as const) expect(handoffControls(s)).toEqual({ join: false, accept: false, release: false, end: false });
  });
});
