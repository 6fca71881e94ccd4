// Writes public/sounds/handoff.wav: a short two-note chime (E6 then A6, bell-like decay),
// 16-bit mono PCM at 22.05 kHz. Run once: `node scripts/make-chime.mjs`; the file is
// committed, so builds do not depend on this script.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rate = 22050;
const seconds = 0.9;
const n = Math.round(rate * seconds);
const samples = new Float32Array(n);

function note(freq, start, dur, gain) {
  const s0 = Math.round(start * rate);
  const len = Math.round(dur * rate);
  for (let i = 0; i < len && s0 + i < n; i++) {
    const t = i / rate;
    const attack = Math.min(1, t / 0.005);
    const env = attack * Math.exp(-t * 6);
    // A bell: the fundamental plus a softer, faster-decaying overtone.
    const v = Math.sin(2 * Math.PI * freq * t) + 0.35 * Math.sin(2 * Math.PI * freq * 2.76 * t) * Math.exp(-t * 10);
    samples[s0 + i] += gain * env * v;
  }
}

note(1318.5, 0, 0.6, 0.45);
note(1760, 0.14, 0.75, 0.4);

const data = Buffer.alloc(n * 2);
for (let i = 0; i < n; i++) {
  const v = Math.max(-1, Math.min(1, samples[i]));
  data.writeInt16LE(Math.round(v * 32767), i * 2);
}
const header = Buffer.alloc(44);
header.write('RIFF', 0);
header.writeUInt32LE(36 + data.length, 4);
header.write('WAVE', 8);
header.write('fmt ', 12);
header.writeUInt32LE(16, 16);
header.writeUInt16LE(1, 20); // PCM
header.writeUInt16LE(1, 22); // mono
header.writeUInt32LE(rate, 24);
header.writeUInt32LE(rate * 2, 28);
header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34);
header.write('data', 36);
header.writeUInt32LE(data.length, 40);

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'sounds', 'handoff.wav');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, Buffer.concat([header, data]));
console.log(`wrote ${out} (${44 + data.length} bytes)`);
