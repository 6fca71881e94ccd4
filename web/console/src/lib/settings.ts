// Small pure helpers of the settings pages.

/** "refund, return policy" → ["refund", "return policy"] (no blanks or repeats, at most 50). */
export function parseKeywords(s: string): string[] {
  return [...new Set(s.split(',').map((k) => k.trim()).filter(Boolean))].slice(0, 50);
}

/** The tag a site adds to embed a chatbot's widget (W1). */
export function embedSnippet(origin: string, slug: string): string {
  const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<script src="${attr(origin.replace(/\/+$/, ''))}/widget.js" data-chatbot="${attr(slug)}" async></script>`;
}
