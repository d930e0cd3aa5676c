// Debian's python3 with anndata, for the tests that read what the project writes back with real
// anndata; `anndataMissing` says why they are skipped where it is absent.
import { execFileSync } from 'node:child_process';

export const python = '/usr/bin/python3';

export const anndataMissing: string | undefined = (() => {
  try {
    execFileSync(python, ['-c', 'import anndata'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'no python3 with anndata (Debian: apt-get install python3-anndata)';
  }
})();
