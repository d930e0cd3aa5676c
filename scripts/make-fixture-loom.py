"""A tiny loom file (HDF5, but not AnnData) for the app's error tests: dropped on the page it must
be named as a loom file with the conversion to .h5ad, not read as anything.

Run: /usr/bin/python3 scripts/make-fixture-loom.py  (needs h5py; writes test/fixtures/malformed/cells.loom)
Follows the loom 3.0 layout: /matrix (genes × cells), /row_attrs, /col_attrs, /layers, /row_graphs, /col_graphs.
"""
from pathlib import Path

import h5py
import numpy as np

out = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'malformed' / 'cells.loom'
with h5py.File(out, 'w') as f:
    f.attrs['LOOM_SPEC_VERSION'] = '3.0.0'
    f.create_dataset('matrix', data=np.arange(12, dtype=np.float32).reshape(4, 3))
    f.create_group('row_attrs').create_dataset('Gene', data=np.array([b'CD3E', b'MS4A1', b'NKG7', b'LYZ']))
    f.create_group('col_attrs').create_dataset('CellID', data=np.array([b'c0', b'c1', b'c2']))
    for name in ('layers', 'row_graphs', 'col_graphs'):
        f.create_group(name)
print(out)
