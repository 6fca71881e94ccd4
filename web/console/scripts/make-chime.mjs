// Writes public/sounds/handoff.mp3 (the chime the product plays, /sounds/handoff.mp3) and
// public/sounds/handoff.wav (its fallback): a short two-note chime (E6 then A6, bell-like
// decay), mono at 22.05 kHz; the wav is 16-bit PCM, the mp3 64 kbit/s CBR encoded by lamejs
// (pure JavaScript, a devDependency). Run once: `node scripts/make-chime.mjs`; the files are
// committed, so builds do not depend on this script.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

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

const pcm = new Int16Array(n);
for (let i = 0; i < n; i++) {
  const v = Math.max(-1, Math.min(1, samples[i]));
  pcm[i] = Math.round(v * 32767);
}
const data = Buffer.from(pcm.buffer);
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

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'sounds');
mkdirSync(dir, { recursive: true });
const wav = join(dir, 'handoff.wav');
writeFileSync(wav, Buffer.concat([header, data]));
console.log(`wrote ${wav} (${44 + data.length} bytes)`);

// lamejs 1.2.1's CommonJS entry fails in Node ("MPEGMode is not defined"); its bundled
// lame.all.js works, so it runs in a context of its own.
const lameSrc = readFileSync(createRequire(import.meta.url).resolve('lamejs/lame.all.js'), 'utf8');
const ctx = vm.createContext({ console });
vm.runInContext(`${lameSrc}\n;globalThis.lamejs = lamejs;`, ctx);
const encoder = new ctx.lamejs.Mp3Encoder(1, rate, 64);
const frames = [];
const block = 1152;
for (let i = 0; i < n; i += block) frames.push(Buffer.from(encoder.encodeBuffer(pcm.subarray(i, i + block))));
frames.push(Buffer.from(encoder.flush()));
const mp3 = join(dir, 'handoff.mp3');
const bytes = Buffer.concat(frames);
writeFileSync(mp3, bytes);
console.log(`wrote ${mp3} (${bytes.length} bytes)`);
