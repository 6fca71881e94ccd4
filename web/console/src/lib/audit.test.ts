import { describe, expect, it } from 'vitest';
import { actionLabel, auditQuery, contactExportPath, detailText, eraseConfirmed, nextDay } from './audit';

describe('actionLabel', () => {
  it('puts known actions in words and shows others as sent', () => {
    expect(actionLabel('token.create')).toBe('Created an API token');
    expect(actionLabel('contact.erase')).toBe('Erased a contact');
    expect(actionLabel('future.thing')).toBe('future.thing');
  });
});

describe('auditQuery', () => {
  it('sends only the filters set, with "to" covering the whole day', () => {
    expect(auditQuery({})).toBe('?limit=50');
    expect(auditQuery({ action: 'user.', actor: 'u1', from: '2026-03-01', to: '2026-03-31' }, 'abc')).toBe(
      '?action=user.&actor=u1&from=2026-03-01&to=2026-04-01&cursor=abc&limit=50',
    );
  });
});

describe('nextDay', () => {
  it('crosses months and years, and refuses what is not a date', () => {
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
    expect(nextDay('soon')).toBe('');
  });
});

describe('detailText', () => {
  it('summarises the detail on one line', () => {
    expect(detailText({ fields: ['greeting', 'ai.model'] })).toBe('fields: greeting, ai.model');
    expect(detailText({ retention_days: 90, previous_retention_days: 365 })).toBe('retention days: 90 · previous retention days: 365');
    expect(detailText({})).toBe('');
    expect(detailText(null)).toBe('');
    expect(detailText({ x: 'y'.repeat(400) }).length).toBe(160);
  });
});

describe('contact data', () => {
  it('escapes the contact id in the export path', () => {
    expect(contactExportPath('a/b')).toBe('/api/v1/contacts/a%2Fb/export');
  });
  it('asks for ERASE exactly', () => {
    expect(eraseConfirmed(' ERASE ')).toBe(true);
    expect(eraseConfirmed('erase')).toBe(false);
    expect(eraseConfirmed('')).toBe(false);
  });
});
