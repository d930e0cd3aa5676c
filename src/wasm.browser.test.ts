// The embedded wasm modules in Chromium, on the page's main thread (where synchronous compilation
// of large modules is refused): the fast paths are what the app's workers and the trainer element run.
import { Blosc } from 'numcodecs';
import { expect, it } from 'vitest';
import { dropoutMask } from './cpu/philox.ts';
import { bloscKernels, defaultBloscKernels } from './loader/codecs/blosc-kernels.ts';
import { decodeBloscLz4 } from './loader/codecs/blosc.ts';
import { createRng } from './random.ts';

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

it('makes dropout masks in wasm in Chromium, identical to the TypeScript ones', () => {
  const key = { seed: 2 ** 35 + 3, step: 77, stream: 2 };
  expect(dropoutMask(10_001, 0.3, key, undefined, 'wasm')).toEqual(dropoutMask(10_001, 0.3, key, undefined, 'js'));
});
