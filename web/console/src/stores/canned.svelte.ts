// Canned responses (M6). The API for them comes in a later round: the store starts empty
// and the pickers show "No canned responses yet".
import type { CannedResponse } from '../lib/types';

export class CannedStore {
  items = $state.raw<CannedResponse[]>([]);

  set(items: CannedResponse[]): void {
    this.items = items;
  }

  /** Responses whose shortcut or text contains the query (case-insensitive). */
  search(q: string): CannedResponse[] {
    const needle = q.trim().toLowerCase();
    if (!needle) return this.items;
    return this.items.filter((c) => c.shortcut.toLowerCase().includes(needle) || c.content.toLowerCase().includes(needle));
  }
}

/** Fills {{first_name}}, {{email}}, {{agent_name}}… from the values given; unknown ones stay. */
export function fillTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (m, k: string) => (k in values ? values[k]! : m));
}

export const canned = new CannedStore();
