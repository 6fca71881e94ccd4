// All of the widget's CSS. It lives inside the shadow root, so nothing leaks out, and
// `all: initial` on the host stops the page's inherited styles (font, colour, line height)
// from leaking in.
export const CSS = `
:host{all:initial}
*,*::before,*::after{box-sizing:border-box}
.root{--accent:#2f5bea;--accent-ink:#fff;--ink:#1d2433;--muted:#667085;--line:#e4e7ec;--bg:#fff;--soft:#f2f4f7;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);
-webkit-font-smoothing:antialiased;text-align:left;letter-spacing:normal;text-transform:none}
.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
button,input,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
[hidden]{display:none!important}

.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;
background:var(--accent);color:var(--accent-ink);box-shadow:0 6px 20px rgba(16,24,40,.25);display:flex;align-items:center;
justify-content:center;padding:0;transition:transform .15s ease}
.launcher:hover{transform:scale(1.06)}
.launcher svg{width:26px;height:26px;fill:currentColor}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#d92d20;
color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center;box-shadow:0 0 0 2px #fff}

.panel{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:380px;height:min(640px,calc(100vh - 110px));
display:flex;flex-direction:column;background:var(--bg);border-radius:16px;overflow:hidden;
box-shadow:0 12px 48px rgba(16,24,40,.22),0 2px 6px rgba(16,24,40,.08);animation:in .18s ease-out}
@keyframes in{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}
@media (prefers-reduced-motion:reduce){.panel{animation:none}.launcher{transition:none}.dots i{animation:none!important}}

.head{display:flex;align-items:center;gap:12px;padding:14px 14px 14px 18px;background:var(--accent);color:var(--accent-ink)}
.avatar{flex:none;width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.22);display:flex;align-items:center;
justify-content:center;font-weight:700;font-size:16px}
.who{flex:1;min-width:0}
.title{margin:0;font-size:16px;font-weight:650;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sub{margin:2px 0 0;font-size:12.5px;opacity:.88;display:flex;align-items:center;gap:6px}
.dot{width:8px;height:8px;border-radius:50%;background:#32d583;flex:none}
.dot.wait{background:#fdb022}.dot.off{background:#d0d5dd}
.close{flex:none;width:36px;height:36px;border-radius:50%;border:0;background:transparent;color:inherit;font-size:24px;line-height:1;
display:flex;align-items:center;justify-content:center}
.close:hover{background:rgba(255,255,255,.16)}

.banner{display:flex;align-items:center;gap:10px;padding:10px 14px;background:#fef3f2;color:#b42318;border-bottom:1px solid #fecdca;font-size:13px}
.banner span{flex:1}
.banner button{border:1px solid #fda29b;background:#fff;color:#b42318;border-radius:8px;padding:4px 10px;font-weight:600}

.log{flex:1;overflow-y:auto;padding:16px 14px 8px;background:#fafbfc;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.empty,.loading{margin:auto;text-align:center;color:var(--muted);padding:24px;max-width:260px}
.empty b{display:block;color:var(--ink);font-size:15px;margin-bottom:4px}
.spin{width:26px;height:26px;margin:0 auto 10px;border:3px solid var(--line);border-top-color:var(--accent);border-radius:50%;animation:spin .8s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}

.msg{display:flex;flex-direction:column;max-width:82%;align-items:flex-start}
.msg.me{align-self:flex-end;align-items:flex-end}
.label{font-size:11.5px;color:var(--muted);margin:0 0 3px 4px;display:flex;align-items:center;gap:5px}
.ai{background:#ebefff;color:var(--accent);font-weight:700;font-size:10.5px;border-radius:4px;padding:0 5px;letter-spacing:.03em}
.bubble{padding:9px 13px;border-radius:16px 16px 16px 4px;background:var(--bg);border:1px solid var(--line);white-space:pre-wrap;
overflow-wrap:anywhere;word-break:break-word}
.agent .bubble{background:#f0f9ff;border-color:#b9e6fe}
.me .bubble{background:var(--accent);color:var(--accent-ink);border-color:transparent;border-radius:16px 16px 4px 16px}
.me.sending .bubble{opacity:.7}
.me.failed .bubble{background:#fff;color:var(--ink);border:1px solid #fda29b}
.bubble a{color:inherit;text-decoration:underline;text-underline-offset:2px}
.meta{font-size:11px;color:var(--muted);margin:3px 4px 0;display:flex;gap:6px;align-items:center;flex-wrap:wrap;justify-content:flex-end}
.meta .err{color:#b42318}
.meta button{border:0;background:none;color:var(--accent);font-weight:600;padding:0;text-decoration:underline;font-size:11px}
.notice{align-self:center;max-width:90%;text-align:center;font-size:12.5px;color:var(--muted);padding:4px 12px;background:var(--soft);border-radius:12px}

.typing{display:flex;align-items:center;gap:8px;padding:0 18px 6px;font-size:12px;color:var(--muted);background:#fafbfc;min-height:22px}
.dots{display:inline-flex;gap:3px}
.dots i{width:6px;height:6px;border-radius:50%;background:#98a2b3;animation:blink 1.2s infinite ease-in-out}
.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}
@keyframes blink{0%,60%,100%{opacity:.3;transform:none}30%{opacity:1;transform:translateY(-2px)}}

.offline{padding:12px 14px;border-top:1px solid var(--line);background:#fff;display:flex;flex-direction:column;gap:8px}
.offline h3{margin:0;font-size:14px;font-weight:650}
.offline p{margin:0;color:var(--muted);font-size:12.5px}
.offline label{display:flex;flex-direction:column;gap:3px;font-size:12px;color:var(--muted)}
.offline input,.offline textarea{border:1px solid var(--line);border-radius:8px;padding:7px 9px;background:#fff;color:var(--ink);width:100%}
.offline textarea{resize:vertical;min-height:60px}
.offline .err{color:#b42318;font-size:12.5px}
.primary{border:0;border-radius:8px;background:var(--accent);color:var(--accent-ink);padding:8px 14px;font-weight:600;align-self:flex-end}
.primary:disabled{opacity:.6;cursor:default}
.thanks{padding:14px;border-top:1px solid var(--line);text-align:center;color:var(--ink)}

.composer{display:flex;align-items:flex-end;gap:8px;padding:10px 10px 10px 14px;border-top:1px solid var(--line);background:#fff}
.composer textarea{flex:1;border:0;outline:0;resize:none;max-height:120px;min-height:24px;padding:6px 0;background:transparent;line-height:1.4}
.send{flex:none;width:38px;height:38px;border-radius:50%;border:0;background:var(--accent);color:var(--accent-ink);display:flex;
align-items:center;justify-content:center;padding:0}
.send:disabled{background:#d0d5dd;cursor:default}
.send svg{width:18px;height:18px;fill:currentColor}
.count{font-size:11px;color:var(--muted);padding:0 14px 6px;text-align:right;background:#fff}
.count.over{color:#b42318}
.brand{font-size:10.5px;color:#98a2b3;text-align:center;padding:0 0 6px;background:#fff}

@media (max-width:480px){
.panel{inset:0;width:100%;height:100%;border-radius:0;bottom:0;right:0}
.root.open .launcher{display:none}
.msg{max-width:88%}
}
`;
