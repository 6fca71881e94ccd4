// The embedding <script> tag's data- attributes.
import type { EmbedOptions } from './types';

/** Reads the options from the script tag that loaded the widget. */
export function optionsFrom(script: HTMLScriptElement | null, fallbackOrigin: string): EmbedOptions | null {
  if (!script) return null;
  const chatbot = script.getAttribute('data-chatbot')?.trim();
  if (!chatbot) return null;
  let baseURL = fallbackOrigin;
  try {
    if (script.src) baseURL = new URL(script.src, fallbackOrigin).origin;
  } catch {
    // Keep the page's origin.
  }
  const attr = (name: string): string | undefined => script.getAttribute(name)?.trim() || undefined;
  return {
    chatbot,
    baseURL,
    userId: attr('data-user-id'),
    userHash: attr('data-user-hash'),
    name: attr('data-name'),
    email: attr('data-email'),
  };
}
