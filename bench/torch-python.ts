// The Python that runs the PyTorch reference (bench/train_torch.py): --torch PYTHON when given,
// else the first of $TRVAE_PYTHON, python3 and /usr/bin/python3 that imports torch. PyTorch is not
// a project dependency: without one the side-by-side run is skipped, and the reason is printed.
import { spawnSync } from 'node:child_process';

export type TorchPython = { readonly python: string; readonly torch: string } | { readonly skipped: string };

export function findTorchPython(given: string | undefined): TorchPython {
  const candidates = given ? [given] : [process.env.TRVAE_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => Boolean(p));
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, torch: r.stdout.trim() };
  }
  return { skipped: `no Python with torch found (tried ${candidates.join(', ')}); pass --torch PYTHON or set TRVAE_PYTHON` };
}
