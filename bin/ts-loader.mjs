// Registers tsx's TypeScript loader, with the ES modules of node_modules loaded as they are: tsx
// rewrites every module it loads (dynamic imports, inline source maps), which costs seconds of CPU
// for h5wasm's 4 MB Emscripten bundle alone, and published packages need no TypeScript transform.
// Module hooks run last-registered first, so the pass-through sees each load before tsx does.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

export function registerTypeScript() {
  registerTsx();
  register(
    'data:text/javascript,' +
      encodeURIComponent(`import { readFile } from 'node:fs/promises';
export async function load(url, context, next) {
  if (context.format === 'module' && url.startsWith('file:') && url.includes('/node_modules/')) return { format: 'module', source: await readFile(new URL(url)), shortCircuit: true };
  return next(url, context);
}`),
  );
}
