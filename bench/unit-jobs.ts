// Runs a quality benchmark's independent units (one seed × held-out type, or one seed × method) as
// child processes of the same script, `jobs` at a time, each on one ONNX Runtime thread, and
// returns each unit's JSON in unit order. A training step is too small to keep two threads busy:
// on the 2-core machine two one-thread trainings side by side finish in 109 s where one two-thread
// training takes 90 s (1.6× the work per second), with the same results.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from './report-render.ts';

export type UnitJson = { [key: string]: Json };

/** `script` run once per entry of `unitArgs` (with `--threads 1 --out <file>` appended). */
export async function runUnitsInChildren(script: string, unitArgs: readonly (readonly string[])[], jobs: number): Promise<UnitJson[]> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`--jobs needs a positive integer, got ${jobs}`);
  const dir = await mkdtemp(join(tmpdir(), 'trvae-units-'));
  const results: UnitJson[] = new Array(unitArgs.length);
  const running = new Set<ReturnType<typeof spawn>>();
  let next = 0;
  const runOne = async (index: number): Promise<void> => {
    const out = join(dir, `unit-${index}.json`);
    const args = [...unitArgs[index], '--threads', '1', '--out', out];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      let pending = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop()!;
        for (const line of lines) console.log(`[unit ${index + 1}/${unitArgs.length}] ${line}`);
      });
      running.add(child);
      child.on('error', reject);
      child.on('close', (exitCode) => {
        running.delete(child);
        resolve(exitCode);
      });
    });
    if (code !== 0) throw new Error(`unit ${index + 1} (${script} ${args.join(' ')}) exited with ${code}`);
    results[index] = JSON.parse(await readFile(out, 'utf8')) as UnitJson;
  };
  const worker = async (): Promise<void> => {
    while (next < unitArgs.length) await runOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, unitArgs.length) }, worker));
  } finally {
    // A failed unit stops the others: the run's result would be incomplete.
    for (const child of running) child.kill();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
