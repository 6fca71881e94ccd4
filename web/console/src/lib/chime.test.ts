import { describe, expect, it } from 'vitest';
import { CHIME_MP3, CHIME_WAV, chimeSource } from './chime';

describe('chime', () => {
  it('is served as sounds/handoff.mp3 (reference 000), with the WAV as fallback', () => {
    expect(CHIME_MP3.endsWith('/sounds/handoff.mp3')).toBe(true);
    expect(CHIME_WAV.endsWith('/sounds/handoff.wav')).toBe(true);
    expect(chimeSource((t) => (t === 'audio/mpeg' ? 'maybe' : ''))).toBe(CHIME_MP3);
    expect(chimeSource(() => '')).toBe(CHIME_WAV);
  });
});
