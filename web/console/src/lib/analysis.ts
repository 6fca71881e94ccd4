// Pure helpers of the Analysis tab (SPEC P1) and of a chatbot's analysis fields.
import type { Analysis, AnalysisField, ExtractedField, SentimentLabel } from './types';

export const SENTIMENT_LABELS: Record<string, string> = { positive: 'Positive', neutral: 'Neutral', negative: 'Negative' };

export function sentimentText(label: SentimentLabel | string): string {
  return SENTIMENT_LABELS[label] ?? 'Unknown';
}

/** A score from -1 to 1 with its sign: "+0.62", "−0.40", "0.00". */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return '';
  const s = Math.abs(score).toFixed(2);
  if (s === '0.00') return s;
  return (score > 0 ? '+' : '−') + s;
}

/** "order_number" → "Order number". */
export function fieldTitle(name: string): string {
  const s = name.replace(/_+/g, ' ').trim();
  return s ? s[0]!.toUpperCase() + s.slice(1) : name;
}

/** The text of an extracted value; null when the conversation does not say. */
export function fieldValueText(f: Pick<ExtractedField, 'value'>): string | null {
  const v = f.value;
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  return String(v);
}

/** Which analyser produced it: "Built-in analyser" or "AI model (gpt-4o-mini)". */
export function analyserText(a: Pick<Analysis, 'engine' | 'model'>): string {
  if (a.engine === 'llm') return a.model ? `AI model (${a.model})` : 'AI model';
  if (a.engine === 'builtin') return 'Built-in analyser';
  return '';
}

export function reasonText(reason: string): string {
  if (reason === 'close') return 'When the conversation closed';
  if (reason === 'manual') return 'On request';
  return reason;
}

/** The entities the built-in heuristics found, as labelled lists (only the non-empty ones). */
export function entityGroups(a: Pick<Analysis, 'entities'>): { label: string; items: string[] }[] {
  const e = a.entities;
  if (!e) return [];
  return [
    { label: 'Emails', items: e.emails ?? [] },
    { label: 'Phone numbers', items: e.phones ?? [] },
    { label: 'Order numbers', items: e.order_ids ?? [] },
  ].filter((g) => g.items.length > 0);
}

// Analysis fields (PUT /api/v1/chatbots/{chatbot}/analysis-fields).

export const MAX_FIELDS = 20;
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,39}$/;
export const DEFAULT_FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'email', 'phone', 'date'];

export interface FieldProblem {
  index: number;
  field: 'name' | 'description' | 'pattern';
  message: string;
}

/** What is wrong with the fields before they are sent (the server checks again). */
export function checkFields(fields: readonly AnalysisField[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  const seen = new Map<string, number>();
  fields.forEach((f, index) => {
    const name = f.name.trim();
    if (!name) out.push({ index, field: 'name', message: 'A field needs a name.' });
    else if (!FIELD_NAME.test(name)) out.push({ index, field: 'name', message: 'Lowercase letters, digits and _; starts with a letter; 40 characters at most.' });
    else if (seen.has(name)) out.push({ index, field: 'name', message: `“${name}” is already field ${seen.get(name)! + 1}.` });
    if (name) seen.set(name, seen.has(name) ? seen.get(name)! : index);
    if (f.description.length > 300) out.push({ index, field: 'description', message: 'The description is 300 characters at most.' });
    if (f.pattern.length > 200) out.push({ index, field: 'pattern', message: 'The pattern is 200 characters at most.' });
  });
  return out;
}

/** The fields as the API takes them: trimmed, the type defaulted. */
export function cleanFields(fields: readonly AnalysisField[]): AnalysisField[] {
  return fields.map((f) => ({ name: f.name.trim(), type: f.type || 'string', description: f.description.trim(), pattern: f.pattern.trim() }));
}

export function emptyField(): AnalysisField {
  return { name: '', type: 'string', description: '', pattern: '' };
}

/** Moves item i by delta (−1 up, +1 down) and returns the new list. */
export function move<T>(list: readonly T[], i: number, delta: number): T[] {
  const j = i + delta;
  if (i < 0 || i >= list.length || j < 0 || j >= list.length) return list.slice();
  const out = list.slice();
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}
