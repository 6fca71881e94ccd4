// Plays the handoff chime (A9, reference 000: /sounds/handoff.mp3 at volume 0.6). A browser
// that cannot play MP3 gets the same chime as WAV. Browsers refuse audio before the user has
// interacted with the page; that refusal is expected and silently ignored.
const base = import.meta.env.BASE_URL + 'sounds/handoff';
export const CHIME_MP3 = base + '.mp3';
export const CHIME_WAV = base + '.wav';

/** The chime's address: the MP3, or the WAV where the browser says it cannot play MP3. */
export function chimeSource(canPlayType: (type: string) => string): string {
  return canPlayType('audio/mpeg') ? CHIME_MP3 : CHIME_WAV;
}

let audio: HTMLAudioElement | null = null;

function fallBackToWav(a: HTMLAudioElement): void {
  if (a.src.endsWith('.wav')) return;
  a.src = CHIME_WAV;
}

export function playChime(): void {
  try {
    if (!audio) {
      const a = new Audio();
      a.src = chimeSource((t) => a.canPlayType(t));
      // An MP3 that fails to load or decode: use the WAV from now on.
      a.addEventListener('error', () => fallBackToWav(a));
      audio = a;
    }
    audio.volume = 0.6;
    audio.currentTime = 0;
    const a = audio;
    const p = a.play();
    if (p && typeof p.catch === 'function')
      p.catch((err: unknown) => {
        // NotSupportedError: the MP3 cannot be played here; try the WAV once. Any other
        // refusal (autoplay) is ignored.
        if (err instanceof DOMException && err.name === 'NotSupportedError' && !a.src.endsWith('.wav')) {
          fallBackToWav(a);
          a.play().catch(() => {});
        }
      });
  } catch {
    // No audio support: the toast and the desktop notification remain.
  }
}
