// `npm run build:lib`: the library as ES modules in lib/ (one file per public entry, shared chunks,
// the workers and ONNX Runtime's WASM beside them), for a page or a bundler to import. Type
// declarations come from tsc (tsconfig.lib.json) into lib/types.
import { defineConfig } from 'vite';

export const libraryEntries = {
  element: 'src/app/trainer-element.ts',
  source: 'src/source/index.ts',
  loader: 'src/loader/index.ts',
  model: 'src/model/index.ts',
} as const;

export default defineConfig({
  // Asset URLs relative to the importing module (import.meta.url): lib/ works wherever it is served.
  base: './',
  publicDir: false,
  worker: { format: 'es' },
  build: {
    outDir: 'lib',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Not `build.lib`: library mode inlines every asset as a data URL, ONNX Runtime's 28 MB .wasm
    // included (twice: page and worker). A plain build with the entries' exports kept emits them as files.
    rolldownOptions: {
      input: libraryEntries,
      preserveEntrySignatures: 'strict',
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' },
    },
  },
});
