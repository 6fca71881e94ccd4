import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// The widget is one IIFE file (dist/widget.js) that the Go server embeds and serves at
// /widget.js; public/demo.html is copied beside it and served at /demo.
export default defineConfig({
  build: {
    target: 'es2019',
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: true,
    lib: {
      entry: resolve(__dirname, 'src/main.ts'),
      name: 'BatonWidget',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
  plugins: [
    {
      // emptyOutDir removes the placeholder that lets `//go:embed all:dist` compile
      // without a build; put it back.
      name: 'baton-keep-placeholder',
      closeBundle() {
        writeFileSync(resolve(__dirname, 'dist/.keep'), '');
      },
    },
  ],
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['test/**/*.test.ts'],
    restoreMocks: true,
  },
});
