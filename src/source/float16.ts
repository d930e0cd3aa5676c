// zarr float16 arrays need Float16Array, which Chromium has and Node 20 does not: there, the
// maintained @petamoriken/float16 implementation is installed in its place before zarrita reads.
export async function ensureFloat16Array(): Promise<void> {
  if (typeof (globalThis as { Float16Array?: unknown }).Float16Array !== 'undefined') return;
  const { Float16Array } = await import('@petamoriken/float16');
  (globalThis as { Float16Array?: unknown }).Float16Array = Float16Array;
}
