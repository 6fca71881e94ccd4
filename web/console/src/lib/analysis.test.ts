import { describe, expect, it } from 'vitest';
import { analyserText, checkFields, cleanFields, emptyField, entityGroups, fieldTitle, fieldValueText, formatScore, move, sentimentText } from './analysis';

describe('analysis helpers', () => {
  it('formats the sentiment and its score', () => {
    expect(sentimentText('negative')).toBe('Negative');
    expect(sentimentText('')).toBe('Unknown');
    expect(formatScore(0.624)).toBe('+0.62');
    expect(formatScore(-0.4)).toBe('−0.40');
    expect(formatScore(0.001)).toBe('0.00');
  });

  it('names fields and their values', () => {
    expect(fieldTitle('order_number')).toBe('Order number');
    expect(fieldValueText({ value: null })).toBeNull();
    expect(fieldValueText({ value: true })).toBe('Yes');
    expect(fieldValueText({ value: 42 })).toBe('42');
    expect(fieldValueText({ value: '<b>x</b>' })).toBe('<b>x</b>');
  });

  it('says which analyser ran', () => {
    expect(analyserText({ engine: 'builtin', model: '' })).toBe('Built-in analyser');
    expect(analyserText({ engine: 'llm', model: 'gpt-4o-mini' })).toBe('AI model (gpt-4o-mini)');
    expect(analyserText({ engine: '', model: '' })).toBe('');
  });

  it('lists only the entities found', () => {
    expect(entityGroups({ entities: { emails: ['a@b.c'], phones: null, order_ids: [] } })).toEqual([{ label: 'Emails', items: ['a@b.c'] }]);
    expect(entityGroups({ entities: null })).toEqual([]);
  });
});

describe('analysis fields', () => {
  it('checks names, repeats and lengths', () => {
    const f = (name: string, extra = {}) => ({ ...emptyField(), name, ...extra });
    expect(checkFields([f('order_number'), f('email', { type: 'email' })])).toEqual([]);
    expect(checkFields([f('')])[0]).toMatchObject({ index: 0, field: 'name' });
    expect(checkFields([f('Order Number')])[0]?.message).toMatch(/Lowercase/);
    expect(checkFields([f('a'), f('a')])).toEqual([{ index: 1, field: 'name', message: '“a” is already field 1.' }]);
    expect(checkFields([f('a', { pattern: 'x'.repeat(201) })])[0]?.field).toBe('pattern');
  });

  it('cleans the fields for the API and moves them', () => {
    expect(cleanFields([{ name: ' order ', type: '', description: ' d ', pattern: ' #(\\d+) ' }])).toEqual([{ name: 'order', type: 'string', description: 'd', pattern: '#(\\d+)' }]);
    expect(move(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(move(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
  });
});
