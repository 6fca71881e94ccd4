import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password';

describe('passwordProblem', () => {
  it('wants 12 characters', () => {
    expect(passwordProblem('short one', '')).toMatch(/12 characters/);
  });
  it('refuses a common word padded with digits', () => {
    expect(passwordProblem('Password123456!', '')).toMatch(/common/);
  });
  it('refuses a repeated pattern', () => {
    expect(passwordProblem('abcabcabcabc', '')).toMatch(/repeated/);
  });
  it('refuses the email', () => {
    expect(passwordProblem('ana@acme.test!!', 'Ana@acme.test')).toMatch(/email/);
  });
  it('accepts a few unrelated words', () => {
    expect(passwordProblem('granite owl picnic 3', 'ana@acme.test')).toBe('');
  });
});
