// Plays the handoff chime (A9) at volume 0.6. Browsers refuse audio before the user has
// interacted with the page; that refusal is expected and silently ignored.
const chimeUrl = import.meta.env.BASE_URL + 'sounds/handoff.wav';

let audio: HTMLAudioElement | null = null;

export function playChime(): void {
  try {
    audio ??= new Audio(chimeUrl);
    audio.volume = 0.6;
    audio.currentTime = 0;
    const p = audio.play();
    if (p && typeof p.catch === 'function') p.catch(() => {});
  } catch {
    // No audio support: the toast and the desktop notification remain.
  }
}
