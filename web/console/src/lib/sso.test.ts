import { describe, expect, it } from 'vitest';
import { parseDomains, ssoErrorText, takeSsoError } from './sso';

describe('ssoErrorText', () => {
  it('has a message for each refusal and a general one for others', () => {
    expect(ssoErrorText('no_account')).toMatch(/No Baton account/);
    expect(ssoErrorText('email_unverified')).toMatch(/not verified/);
    expect(ssoErrorText('<script>')).toMatch(/did not work/);
    expect(ssoErrorText('')).toBe('');
    expect(ssoErrorText(null)).toBe('');
  });
});

describe('parseDomains', () => {
  it('splits, lower-cases and drops repeats', () => {
    expect(parseDomains(' Example.com, @acme.test\nexample.com  b.test. ')).toEqual(['example.com', 'acme.test', 'b.test']);
    expect(parseDomains('   ')).toEqual([]);
  });
});

describe('takeSsoError', () => {
  it('reads the code and cleans the URL', () => {
    expect(takeSsoError('https://x.test/app/?sso_error=state&a=1#h')).toEqual({ code: 'state', cleaned: '/app/?a=1#h' });
    expect(takeSsoError('https://x.test/app/')).toBeNull();
  });
});
