// Which dialog or overlay is open, and requests that keyboard shortcuts send to the
// thread's components (open the transfer dialog, toggle the note, open canned responses).
import type { ComposerMode } from '../lib/composer';

export type DialogName = 'close' | 'release' | 'resolve' | 'transfer' | 'help' | null;

function loadBool(key: string, fallback: boolean): boolean {
  try {
    const v = localStorage.getItem(key);
    return v === null ? fallback : v === '1';
  } catch {
    return fallback;
  }
}

class UiStore {
  dialog = $state<DialogName>(null);
  composerMode = $state<ComposerMode>('reply');
  /** Incremented to ask the composer to open the canned-response picker. */
  cannedRequest = $state(0);
  /** Incremented to ask the composer to take the focus. */
  focusComposer = $state(0);
  /** Text the composer should insert at its caret (sidebar Shortcuts tab), with a counter. */
  insertText = $state('');
  insertRequest = $state(0);
  sidebarOpen = $state(loadBool('baton.sidebar', true));
  sidebarTab = $state<'details' | 'analysis' | 'shortcuts' | 'related'>('details');
  /** The chatbot last chosen on a settings page (Chatbots, Channels), so both open on it. */
  chatbotId = $state('');

  toggleSidebar(): void {
    this.sidebarOpen = !this.sidebarOpen;
    try {
      localStorage.setItem('baton.sidebar', this.sidebarOpen ? '1' : '0');
    } catch {
      // not persisted
    }
  }

  /** Asks the composer to insert text (a rendered canned response). */
  insert(text: string): void {
    this.insertText = text;
    this.insertRequest++;
  }

  resetComposer(): void {
    this.composerMode = 'reply';
  }

  toggleNote(): void {
    this.composerMode = this.composerMode === 'note' ? 'reply' : 'note';
    this.focusComposer++;
  }
}

export const ui = new UiStore();
