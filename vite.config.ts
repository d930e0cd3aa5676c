import { defineConfig } from 'vite';

// SharedArrayBuffer and ORT's threaded WASM need cross-origin isolation; a static host must send
// these two headers on every response (see README).
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative URLs in the build: dist/ works under any path (e.g. https://user.github.io/project/).
  base: './',
  server: { headers: isolationHeaders, host: '127.0.0.1' },
  preview: { headers: isolationHeaders, host: '127.0.0.1' },
  // No client-side routes: unknown paths must 404 (a zarr reader probes optional keys like .zattrs).
  appType: 'mpa',
  worker: { format: 'es' },
  // ORT-web loads its .wasm/.mjs next to itself; pre-bundling would break those URLs.
  // Pre-bundle the CommonJS/ESM deps up front so the first browser test does not trigger a reload.
  optimizeDeps: { exclude: ['onnxruntime-web', 'h5wasm'], include: ['onnx-proto', 'protobufjs/minimal', 'comlink', 'zarrita', 'numcodecs'] },
  build: {
    target: 'es2022',
    sourcemap: true,
    // The app, and an example host page embedding <trvae-trainer>.
    rolldownOptions: { input: { main: 'index.html', embed: 'embed.html' } },
  },
});
