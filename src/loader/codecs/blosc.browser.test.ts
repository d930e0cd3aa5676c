// The wasm kernels in Chromium, on the page's main thread (where synchronous compilation of large
// modules is refused): the fast path is what the app's read workers and the trainer element run.
import { Blosc } from 'numcodecs';
import { expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import { bloscKernels, defaultBloscKernels } from './blosc-kernels.ts';
import { decodeBloscLz4 } from './blosc.ts';

it('decodes blosc-lz4 frames with the wasm kernels in Chromium, as the TypeScript ones do', async () => {
  expect(defaultBloscKernels().kind).toBe('wasm');
  const rng = createRng(2);
  const codec = Blosc.fromConfig({ id: 'blosc', cname: 'lz4', clevel: 3, shuffle: 1 as never, blocksize: 0 });
  const plain = new Uint8Array(new Float32Array(300_000).map(() => (rng.next() < 0.9 ? 0 : 1 + rng.int(20))).buffer);
  const frame = await codec.encode(plain);
  const wasm = decodeBloscLz4(frame, plain.length, bloscKernels('wasm')!)!;
  const js = decodeBloscLz4(frame, plain.length, bloscKernels('js')!)!;
  expect(wasm.length).toBe(plain.length);
  expect(wasm.every((v, i) => v === plain[i])).toBe(true);
  expect(js.every((v, i) => v === plain[i])).toBe(true);
});
