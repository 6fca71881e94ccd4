// The widget's DOM inside its shadow root: the launcher, the panel and its parts. It draws
// a view model and reports what the visitor does; it holds no conversation state itself.
// Every piece of text from the server goes in through textContent (appendText).
import type { Item } from './conversation';
import type { PanelState } from './panel';
import { statusLine } from './panel';
import { CSS } from './styles';
import { appendText, formatTime } from './text';
import type { Status } from './types';
import { MAX_MESSAGE_LENGTH } from './types';

export interface ViewModel {
  panel: PanelState;
  title: string;
  status: Status;
  agentName: string | null;
  typing: string | null;
  items: Item[];
  unread: number;
}

export interface ViewHandlers {
  toggle(): void;
  close(): void;
  send(text: string): void;
  retry(item: Item): void;
  retryConnection(): void;
  input(text: string): void;
  offline(form: { name: string; email: string; message: string }): void;
}

type Child = Node | string | null | undefined | false;

const ICON_CHAT = 'M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.3-2.3c1 .3 2 .4 3.1.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z';
const ICON_CLOSE = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z';
const ICON_SEND = 'M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z';

export class View {
  readonly root: HTMLElement;
  private readonly launcher: HTMLButtonElement;
  private readonly launcherIcon: SVGPathElement;
  private readonly badge: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly title: HTMLElement;
  private readonly avatar: HTMLElement;
  private readonly sub: HTMLElement;
  private readonly dot: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly bannerText: HTMLElement;
  private readonly log: HTMLElement;
  private readonly loading: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly typing: HTMLElement;
  private readonly typingText: HTMLElement;
  private readonly offlineForm: HTMLFormElement;
  private readonly offlineError: HTMLElement;
  private readonly offlineSubmit: HTMLButtonElement;
  private readonly thanks: HTMLElement;
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly count: HTMLElement;
  private readonly rendered = new Map<string, { version: number; el: HTMLElement }>();
  private wasOpen = false;
  private lastItemCount = 0;

  constructor(
    shadow: ShadowRoot,
    private readonly handlers: ViewHandlers,
    private readonly doc: Document = document,
    prefill: { name?: string; email?: string } = {},
  ) {
    const h = this.h.bind(this);
    const style = h('style');
    style.textContent = CSS;

    this.launcherIcon = this.path(ICON_CHAT);
    this.badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
    this.launcher = h(
      'button',
      { class: 'launcher', type: 'button', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-controls': 'baton-panel' },
      this.svg(this.launcherIcon),
      this.badge,
    );
    this.launcher.addEventListener('click', () => handlers.toggle());

    this.avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' }, 'C');
    this.title = h('h2', { class: 'title', id: 'baton-title' }, 'Chat');
    this.dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
    this.sub = h('span', {}, '');
    const close = h('button', { class: 'close', type: 'button', 'aria-label': 'Close chat' }, '×');
    close.addEventListener('click', () => handlers.close());

    this.bannerText = h('span', {});
    const retry = h('button', { type: 'button' }, 'Retry');
    retry.addEventListener('click', () => handlers.retryConnection());
    this.banner = h('div', { class: 'banner', role: 'alert', hidden: true }, this.bannerText, retry);

    this.loading = h('div', { class: 'loading', hidden: true }, h('div', { class: 'spin', 'aria-hidden': 'true' }), 'Loading your conversation…');
    this.empty = h(
      'div',
      { class: 'empty', hidden: true },
      h('b', {}, 'Hi there!'),
      'Ask us anything. Our assistant answers right away, and a person can take over whenever you need.',
    );
    this.log = h(
      'div',
      { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions text', 'aria-label': 'Messages', tabindex: '0' },
      this.loading,
      this.empty,
    );
    this.typingText = h('span', {});
    this.typing = h(
      'div',
      { class: 'typing', 'aria-hidden': 'true' },
      h('span', { class: 'dots' }, h('i'), h('i'), h('i')),
      this.typingText,
    );

    // Offline form (W4).
    const fName = h('input', { name: 'name', autocomplete: 'name', required: true, maxlength: '200' });
    const fEmail = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true, maxlength: '320' });
    const fMessage = h('textarea', { name: 'message', required: true, maxlength: String(MAX_MESSAGE_LENGTH), rows: '3' });
    fName.value = prefill.name ?? '';
    fEmail.value = prefill.email ?? '';
    this.offlineError = h('p', { class: 'err', role: 'alert', hidden: true });
    this.offlineSubmit = h('button', { class: 'primary', type: 'submit' }, 'Send');
    this.offlineForm = h(
      'form',
      { class: 'offline', 'aria-labelledby': 'baton-offline-title', hidden: true, novalidate: true },
      h('h3', { id: 'baton-offline-title' }, 'Leave us a message'),
      h('p', {}, "No one is available right now. We'll answer by email."),
      h('label', {}, 'Name', fName),
      h('label', {}, 'Email', fEmail),
      h('label', {}, 'Your message', fMessage),
      this.offlineError,
      this.offlineSubmit,
    );
    this.offlineForm.addEventListener('submit', (e) => {
      e.preventDefault();
      for (const f of [fName, fEmail, fMessage]) {
        if (!f.value.trim() || !f.checkValidity()) {
          this.offlineError.textContent = f === fEmail ? 'Please enter a valid email address.' : 'Please fill in every field.';
          this.offlineError.hidden = false;
          f.focus();
          return;
        }
      }
      handlers.offline({ name: fName.value.trim(), email: fEmail.value.trim(), message: fMessage.value.trim() });
    });
    this.thanks = h('div', { class: 'thanks', role: 'status', hidden: true }, "Thanks! We've got your message and will reply by email.");

    // Composer.
    this.input = h('textarea', {
      id: 'baton-input',
      rows: '1',
      maxlength: String(MAX_MESSAGE_LENGTH),
      placeholder: 'Write a message…',
      autocomplete: 'off',
    });
    this.sendButton = h('button', { class: 'send', type: 'submit', 'aria-label': 'Send message', disabled: true }, this.svg(this.path(ICON_SEND)));
    this.count = h('div', { class: 'count', 'aria-live': 'polite', hidden: true });
    this.composer = h(
      'form',
      { class: 'composer' },
      h('label', { class: 'sr', for: 'baton-input' }, 'Write a message'),
      this.input,
      this.sendButton,
    );
    this.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => {
      this.inputChanged();
      handlers.input(this.input.value);
    });

    this.panel = h(
      'section',
      { class: 'panel', id: 'baton-panel', role: 'dialog', 'aria-labelledby': 'baton-title', hidden: true },
      h('header', { class: 'head' }, this.avatar, h('div', { class: 'who' }, this.title, h('p', { class: 'sub' }, this.dot, this.sub)), close),
      this.banner,
      this.log,
      this.typing,
      this.offlineForm,
      this.thanks,
      this.composer,
      this.count,
      h('div', { class: 'brand' }, 'Powered by Baton'),
    );
    this.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        handlers.close();
      }
    });

    this.root = h('div', { class: 'root' }, this.panel, this.launcher);
    shadow.append(style, this.root);
  }

  render(m: ViewModel): void {
    const { panel } = m;
    this.root.classList.toggle('open', panel.open);
    this.panel.hidden = !panel.open;
    this.launcher.setAttribute('aria-expanded', String(panel.open));
    this.launcherIcon.setAttribute('d', panel.open ? ICON_CLOSE : ICON_CHAT);
    const unread = panel.open ? 0 : m.unread;
    this.badge.hidden = unread === 0;
    this.badge.textContent = unread > 9 ? '9+' : String(unread);
    this.launcher.setAttribute(
      'aria-label',
      panel.open ? 'Close chat' : unread ? `Open chat, ${unread} unread message${unread === 1 ? '' : 's'}` : 'Open chat',
    );

    this.title.textContent = m.title;
    this.avatar.textContent = (m.title.trim()[0] || 'C').toUpperCase();
    this.sub.textContent = statusLine(m.status, m.agentName);
    this.dot.className = 'dot' + (m.status === 'waiting' || m.status === 'offline' ? ' wait' : /resolved|closed|abandoned/.test(m.status) ? ' off' : '');

    this.banner.hidden = panel.banner === null;
    this.bannerText.textContent = panel.banner ?? '';

    const messages = m.items.filter((i) => i.key !== 'greeting').length;
    this.loading.hidden = !(panel.phase === 'loading' && messages === 0);
    this.empty.hidden = !(m.items.length === 0 && panel.phase !== 'loading');

    const stick = this.nearBottom() || !this.wasOpen || m.items.length > this.lastItemCount && this.lastIsMine(m.items);
    this.renderItems(m.items);
    this.lastItemCount = m.items.length;

    this.typing.hidden = m.typing === null;
    this.typingText.textContent = m.typing ? `${m.typing} is typing…` : 'Typing…';

    this.offlineForm.hidden = panel.offline !== 'form' && panel.offline !== 'sending';
    this.offlineSubmit.disabled = panel.offline === 'sending';
    this.offlineSubmit.textContent = panel.offline === 'sending' ? 'Sending…' : 'Send';
    this.offlineError.hidden = !panel.offlineError;
    this.offlineError.textContent = panel.offlineError ?? '';
    this.thanks.hidden = panel.offline !== 'sent';

    if (panel.open && stick) this.log.scrollTop = this.log.scrollHeight;
    this.wasOpen = panel.open;
  }

  focusInput(): void {
    this.input.focus();
  }

  focusLauncher(): void {
    this.launcher.focus();
  }

  /** Whether focus is inside the panel (to hand it back to the launcher on close). */
  hasFocus(): boolean {
    const active = (this.root.getRootNode() as ShadowRoot).activeElement;
    return !!active && this.panel.contains(active);
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text || text.length > MAX_MESSAGE_LENGTH) return;
    this.input.value = '';
    this.inputChanged();
    this.handlers.send(text);
    this.input.focus();
  }

  private inputChanged(): void {
    const len = this.input.value.length;
    this.sendButton.disabled = this.input.value.trim() === '';
    this.count.hidden = len < MAX_MESSAGE_LENGTH - 1000;
    this.count.textContent = `${len} / ${MAX_MESSAGE_LENGTH}`;
    this.count.classList.toggle('over', len >= MAX_MESSAGE_LENGTH);
    this.input.style.height = 'auto';
    this.input.style.height = Math.min(this.input.scrollHeight, 120) + 'px';
  }

  private nearBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 60;
  }

  private lastIsMine(items: Item[]): boolean {
    return items.length > 0 && items[items.length - 1].kind === 'visitor';
  }

  /** Keyed reconciliation: an item's element is rebuilt only when its version changed, and
   * moved only when out of place, so focus (a Retry button) and scroll survive updates. */
  private renderItems(items: Item[]): void {
    const keep = new Set<string>();
    let prev: Element = this.empty;
    for (const it of items) {
      keep.add(it.key);
      let r = this.rendered.get(it.key);
      if (!r || r.version !== it.version) {
        const el = this.item(it);
        if (r) r.el.replaceWith(el);
        r = { version: it.version, el };
        this.rendered.set(it.key, r);
      }
      if (prev.nextElementSibling !== r.el) prev.after(r.el);
      prev = r.el;
    }
    for (const [key, r] of this.rendered) {
      if (!keep.has(key)) {
        r.el.remove();
        this.rendered.delete(key);
      }
    }
  }

  private item(it: Item): HTMLElement {
    const h = this.h.bind(this);
    if (it.kind === 'notice') return h('div', { class: 'notice' }, it.text);
    const mine = it.kind === 'visitor';
    const el = h('div', { class: `msg ${mine ? 'me ' + (it.delivery ?? 'sent') : it.kind}` });
    if (it.kind === 'bot') el.append(h('div', { class: 'label' }, h('span', { class: 'ai' }, 'AI'), h('span', { class: 'sr' }, 'Assistant:')));
    if (it.kind === 'agent') el.append(h('div', { class: 'label' }, it.agentName ?? 'Agent'));
    if (mine) el.append(h('span', { class: 'sr' }, 'You:'));
    const bubble = h('div', { class: 'bubble' });
    appendText(bubble, it.text, this.doc);
    el.append(bubble);
    const meta = h('div', { class: 'meta' });
    const time = formatTime(it.createdAt);
    if (time) meta.append(h('time', { datetime: it.createdAt ?? '' }, time));
    if (mine) {
      if (it.delivery === 'sending') meta.append(h('span', {}, 'Sending…'));
      else if (it.delivery === 'failed') {
        const retry = h('button', { type: 'button' }, 'Retry');
        retry.addEventListener('click', () => this.handlers.retry(it));
        meta.append(h('span', { class: 'err' }, it.error || 'Not sent.'), retry);
      } else meta.append(h('span', {}, it.seen ? 'Seen' : 'Sent'));
    }
    if (meta.childNodes.length) el.append(meta);
    return el;
  }

  private h<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    attrs: Record<string, string | boolean> = {},
    ...children: Child[]
  ): HTMLElementTagNameMap[K] {
    const el = this.doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === true) el.setAttribute(k, '');
      else if (v !== false) el.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      el.append(typeof c === 'string' ? this.doc.createTextNode(c) : c);
    }
    return el;
  }

  private svg(path: SVGPathElement): SVGSVGElement {
    const svg = this.doc.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.append(path);
    return svg;
  }

  private path(d: string): SVGPathElement {
    const p = this.doc.createElementNS('http://www.w3.org/2000/svg', 'path');
    p.setAttribute('d', d);
    return p;
  }
}
