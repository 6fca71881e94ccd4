// Message text is always text (K4): these helpers build DOM nodes with textContent and never
// parse HTML. The only markup they make is an <a> for an http(s) URL, whose href is checked.

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** Returns the href for a URL found in text, or null unless it is a well-formed http(s) URL. */
export function safeHref(raw: string): string | null {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.href;
  } catch {
    return null;
  }
}

/** Appends `text` to `parent` as text nodes, with http(s) URLs as links. */
export function appendText(parent: Node, text: string, doc: Document = document): void {
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const url = trimURL(m[0]);
    const start = m.index ?? 0;
    const href = safeHref(url);
    if (!href) continue;
    if (start > last) parent.appendChild(doc.createTextNode(text.slice(last, start)));
    const a = doc.createElement('a');
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer nofollow';
    a.textContent = url;
    parent.appendChild(a);
    last = start + url.length;
  }
  if (last < text.length) parent.appendChild(doc.createTextNode(text.slice(last)));
}

/** Drops punctuation that ends a sentence rather than the URL; keeps a closing bracket
 * that belongs to it, as in https://en.wikipedia.org/wiki/Baton_(symbol). */
export function trimURL(url: string): string {
  const count = (ch: string): number => url.split(ch).length - 1;
  while (url.length) {
    const c = url[url.length - 1];
    if (c === ')') {
      if (count('(') >= count(')')) break;
    } else if (!'.,;:!?]}\'"'.includes(c)) {
      break;
    }
    url = url.slice(0, -1);
  }
  return url;
}

/** "14:05" for today, else "3 Mar, 14:05", in the visitor's locale. */
export function formatTime(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' }) + ', ' + time;
}
