// Svelte compiler options for the console (Vite and svelte-check read this file).
export default {
  compilerOptions: {
    runes: true,
  },
};
