"""Writes the end-to-end training benchmark's dataset (bench/train-e2e.ts) with real anndata: a
simulated perturbation study, CELLS x GENES raw counts (sparse CSR), 3 cell types x 2 conditions.

  /usr/bin/python3 bench/make_train_data.py OUT.h5ad CELLS GENES
"""
import sys

import anndata
import numpy as np
import pandas as pd
import scipy.sparse as sp

out, n_cells, n_genes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(7)
types, conditions = ["A", "B", "C"], ["control", "stim"]
base = np.exp(rng.normal(-1.0, 1.3, size=(len(types), n_genes)))
responsive = rng.choice(n_genes, size=n_genes // 5, replace=False)
cell_type = rng.integers(len(types), size=n_cells)
condition = rng.integers(len(conditions), size=n_cells)
effect = np.zeros((len(types), n_genes))
effect[:, responsive] = rng.normal(0.0, 1.0, size=(len(types), responsive.size))
library = np.exp(rng.normal(0.0, 0.3, size=(n_cells, 1)))
means = base[cell_type] * np.exp(effect[cell_type] * condition[:, None]) * library
X = sp.csr_matrix(rng.poisson(means).astype(np.float32))
obs = pd.DataFrame(
    {"cell_type": [types[t] for t in cell_type], "condition": [conditions[c] for c in condition]},
    index=[f"cell{i}" for i in range(n_cells)],
).astype("category")
adata = anndata.AnnData(X=X, obs=obs, var=pd.DataFrame(index=[f"gene{i}" for i in range(n_genes)]))
adata.write_h5ad(out)
print(f"{out}: {n_cells} x {n_genes}, {X.nnz / n_cells:.0f} non-zeros per cell")
