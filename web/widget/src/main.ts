// Entry point of dist/widget.js: reads the embedding <script> tag and mounts the widget.
//   <script src="https://host/widget.js" data-chatbot="demo" async></script>
// Optional: data-user-id, data-user-hash (hex HMAC-SHA256 of the user id, W5), data-name,
// data-email. The API is the script's own origin.
import { optionsFrom } from './options';
import { Widget } from './widget';

declare global {
  interface Window {
    BatonWidget?: Widget;
  }
}

function start(): void {
  if (window.BatonWidget) return; // Loaded twice: keep the first.
  const script =
    (document.currentScript as HTMLScriptElement | null) ??
    document.querySelector<HTMLScriptElement>('script[data-chatbot][src*="widget.js"]');
  const opts = optionsFrom(script, location.origin);
  if (!opts) {
    console.warn('Baton widget: add data-chatbot="<slug>" to the <script> tag.');
    return;
  }
  const widget = new Widget(opts);
  window.BatonWidget = widget;
  const mount = (): void => {
    widget.mount(document.body);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
}

start();
