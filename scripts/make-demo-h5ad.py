#!/usr/bin/python3
"""Write the small .h5ad of the demo (public/demo/demo.h5ad, the drop path's example; the bundled
zarr demo is larger and comes from scripts/make-demo.ts): a simulated stimulation experiment shaped
like Kang et al.'s PBMC IFN-beta data (two conditions, 6 cell types, one response per cell type).

Counts are negative-binomial around a cell-type profile; stimulation multiplies a shared set of
response genes and a cell-type-specific set; library sizes vary per cell. Written by real anndata
(Debian's python3-anndata 0.8) as a gzip-compressed h5ad.

usage: /usr/bin/python3 scripts/make-demo-h5ad.py public/demo
"""
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

CELL_TYPES = ["CD4 T", "CD8 T", "B", "NK", "CD14 Mono", "DC"]
CELLS_PER_TYPE_AND_CONDITION = 160
N_GENES = 1000
SEED = 20201115


def simulate(rng: np.random.Generator) -> ad.AnnData:
    base = rng.gamma(shape=0.35, scale=2.0, size=N_GENES)
    profiles = {}
    for i, ct in enumerate(CELL_TYPES):
        markers = rng.choice(N_GENES, 40, replace=False)
        p = base * rng.lognormal(0.0, 0.35, N_GENES)
        p[markers] *= rng.uniform(4, 12, 40)
        profiles[ct] = p
    shared_response = rng.choice(N_GENES, 60, replace=False)
    shared_fold = rng.lognormal(1.4, 0.5, 60)
    blocks, obs = [], []
    for ct in CELL_TYPES:
        specific = rng.choice(N_GENES, 25, replace=False)
        specific_fold = rng.lognormal(0.0, 0.9, 25)
        for condition in ("control", "stimulated"):
            mean = profiles[ct].copy()
            if condition == "stimulated":
                mean[shared_response] *= shared_fold
                mean[specific] *= specific_fold
            mean /= mean.sum()
            n = CELLS_PER_TYPE_AND_CONDITION
            library = rng.lognormal(np.log(1000), 0.35, n)
            mu = library[:, None] * mean[None, :]
            dispersion = 0.2  # NB with variance mu + 0.2 mu^2
            lam = rng.gamma(1 / dispersion, mu * dispersion)
            counts = rng.poisson(lam).astype(np.float32)
            blocks.append(counts)
            for j in range(n):
                obs.append((ct, condition, float(library[j])))
    X = np.vstack(blocks)
    order = rng.permutation(X.shape[0])
    X = X[order]
    obs_df = pd.DataFrame(obs, columns=["cell_type", "condition", "library_size"]).iloc[order]
    obs_df.index = [f"cell{i:05d}" for i in range(X.shape[0])]
    obs_df["cell_type"] = pd.Categorical(obs_df["cell_type"], categories=CELL_TYPES)
    obs_df["condition"] = pd.Categorical(obs_df["condition"], categories=["control", "stimulated"])
    obs_df["n_counts"] = X.sum(axis=1).astype(np.float32)
    var = pd.DataFrame(index=[f"GENE{i:04d}" for i in range(N_GENES)])
    var["is_shared_response"] = np.isin(np.arange(N_GENES), shared_response)
    csr = sp.csr_matrix(X)
    adata = ad.AnnData(X=csr, obs=obs_df, var=var)
    adata.uns["description"] = "trvae-web demo: simulated two-condition stimulation, 6 cell types"
    return adata


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "public/demo")
    out.mkdir(parents=True, exist_ok=True)
    adata = simulate(np.random.default_rng(SEED))
    adata.write_h5ad(out / "demo.h5ad", compression="gzip")
    print(f"wrote {adata.n_obs} cells x {adata.n_vars} genes, nnz {adata.X.nnz} to {out}")


if __name__ == "__main__":
    main()
