// The sources of another git revision, for benchmarks that compare a change side by side in one run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Unpacks revision `rev`'s src/ under bench-results/.baseline/ (inside the project, so node_modules resolves); returns its directory. */
export function baselineSources(rev: string): string {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = path.resolve('bench-results', '.baseline', commit.slice(0, 12));
  if (!fs.existsSync(path.join(dir, 'src'))) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${commit} src | tar -x -C "${dir}"`]);
  }
  return dir;
}
