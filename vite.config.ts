import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig, type Connect, type Plugin } from 'vite';

// SharedArrayBuffer and ORT's threaded WASM need cross-origin isolation; a static host must send
// these two headers on every response (see README).
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Vite's static file server (sirv) answers a suffix range (`bytes=-N`, how a zarr v3 reader reads a
 * shard's index) from the start of the file. Static hosts, S3 and nginx answer it right; here it is
 * rewritten to the absolute range before sirv sees it, so the sharded demo reads in dev and preview.
 */
function suffixRanges(): Plugin {
  const rewrite = (root: () => string): Connect.NextHandleFunction => (req, _res, next) => {
    const suffix = /^bytes=-(\d+)$/.exec(req.headers.range ?? '');
    if (suffix && req.url) {
      const file = join(root(), decodeURIComponent(new URL(req.url, 'http://x').pathname));
      if (existsSync(file) && statSync(file).isFile()) {
        const size = statSync(file).size;
        req.headers.range = `bytes=${Math.max(0, size - Number(suffix[1]))}-${size - 1}`;
      }
    }
    next();
  };
  let publicDir = 'public';
  let outDir = 'dist';
  return {
    name: 'suffix-ranges',
    configResolved(config) {
      publicDir = config.publicDir;
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer: (server) => void server.middlewares.use(rewrite(() => publicDir)),
    configurePreviewServer: (server) => void server.middlewares.use(rewrite(() => outDir)),
  };
}

export default defineConfig({
  plugins: [suffixRanges()],
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
