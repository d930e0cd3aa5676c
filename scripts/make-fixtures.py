#!/usr/bin/python3
"""Writes the AnnData test fixtures under test/fixtures/ with real anndata (0.8), h5py and zarr 2.

Run with Debian's interpreter, which has python3-anndata, python3-h5py and python3-zarr:

    /usr/bin/python3 scripts/make-fixtures.py

Outputs (all small):
  anndata/<name>.h5ad, <name>.gzip.h5ad, <name>.zarr   the same AnnData in several containers
  anndata/<name>.expected.json                        what anndata itself reads back, value for value
  malformed/…                                         broken copies for error-handling tests
"""
import json
import shutil
from pathlib import Path

import anndata as ad
import h5py
import numcodecs
import numpy as np
import pandas as pd
import scipy.sparse as sp
import zarr

ROOT = Path(__file__).resolve().parent.parent / 'test' / 'fixtures'
GOOD = ROOT / 'anndata'
BAD = ROOT / 'malformed'


def obs_frame(rng, n_obs):
    cell_type = pd.Categorical(rng.choice(['B cell', 'T cell', 'NK', 'monocyte'], n_obs))
    cell_type[[3, 17]] = np.nan  # missing categories: code −1
    score = rng.normal(size=n_obs)
    score[[5, 9]] = np.nan
    batch = pd.array(rng.integers(0, 3, n_obs), dtype='Int32')
    batch[[2, 11]] = pd.NA
    qc = pd.array(rng.random(n_obs) > 0.3, dtype='boolean')
    qc[[4]] = pd.NA
    return pd.DataFrame(
        {
            'cell_type': cell_type,
            'condition': pd.Categorical(rng.choice(['control', 'stimulated'], n_obs), categories=['control', 'stimulated'], ordered=True),
            'barcode': [f'AAAC{i:04d}-{"xyz"[i % 3]}' for i in range(n_obs)],  # unique → stays a string-array
            'n_genes': rng.integers(100, 5000, n_obs).astype(np.int64),
            'score': score,
            'is_doublet': rng.random(n_obs) > 0.8,
            'batch_id': batch,
            'passed_qc': qc,
        },
        index=[f'cell{i}' for i in range(n_obs)],
    )


def make_csr(rng, n_obs=50, n_vars=30):
    counts = sp.random(n_obs, n_vars, density=0.2, format='csr', random_state=7, data_rvs=lambda k: rng.integers(1, 50, k))
    counts = sp.csr_matrix(counts.toarray())  # canonical: sorted indices, no explicit zeros
    counts[[6, 7, 30]] = 0  # a few empty rows
    counts.eliminate_zeros()
    counts = counts.astype(np.int32)
    x = counts.astype(np.float32)
    x.data = np.log1p(x.data).astype(np.float32)
    adata = ad.AnnData(X=x, obs=obs_frame(rng, n_obs), var=pd.DataFrame(index=[f'Gene{j}' for j in range(n_vars)]))
    adata.var['highly_variable'] = np.arange(n_vars) % 4 == 0
    adata.layers['counts'] = counts
    return adata


def make_dense(rng, n_obs=24, n_vars=12):
    x = (rng.random((n_obs, n_vars)) * (rng.random((n_obs, n_vars)) > 0.5)).astype(np.float32)
    obs = pd.DataFrame({'cell_type': pd.Categorical(rng.choice(['a', 'b', 'c'], n_obs))}, index=[f'c{i}' for i in range(n_obs)])
    adata = ad.AnnData(X=x, obs=obs, var=pd.DataFrame(index=[f'g{j}' for j in range(n_vars)]))
    adata.layers['counts'] = np.round(x * 10).astype(np.float64)
    return adata


def rechunk_zarr(path, chunks):
    """Rewrites arrays with small chunks and varied codecs, so reads span several chunks and codecs."""
    group = zarr.open_group(str(path), mode='r+')
    for name, (size, compressor) in chunks.items():
        old = group[name]
        values, attrs = old[...], dict(old.attrs)
        del group[name]
        codec = {'object_codec': numcodecs.VLenUTF8()} if values.dtype == object else {}
        new = group.create_dataset(name, data=values, chunks=(size,) + values.shape[1:], compressor=compressor, **codec)
        new.attrs.update(attrs)


def to_json_matrix(m):
    if sp.issparse(m):
        m = m.tocsr() if sp.isspmatrix_csr(m) else m
        kind = 'csr_matrix' if sp.isspmatrix_csr(m) else 'csc_matrix'
        return {
            'encoding': kind,
            'dtype': str(m.dtype),
            'shape': list(m.shape),
            'nnz': int(m.nnz),
            'indptr': m.indptr.tolist(),
            'indices': m.indices.tolist(),
            'data': m.data.astype(np.float64).tolist(),
        }
    return {'encoding': 'array', 'dtype': str(m.dtype), 'shape': list(m.shape), 'values': np.asarray(m, dtype=np.float64).ravel().tolist()}


def json_value(v):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def to_json_obs(df):
    out = {}
    for name, col in df.items():
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy()
            out[name] = {
                'kind': 'categorical',
                'categories': [str(c) for c in col.cat.categories],
                'ordered': bool(col.cat.ordered),
                'codes': codes.tolist(),
                'counts': [int((codes == i).sum()) for i in range(len(col.cat.categories))],
            }
        elif pd.api.types.is_bool_dtype(col.dtype):
            out[name] = {'kind': 'boolean', 'nullable': col.dtype.name == 'boolean', 'values': [json_value(v) for v in col]}
        elif pd.api.types.is_numeric_dtype(col.dtype):
            out[name] = {'kind': 'numeric', 'nullable': col.dtype.name[0] in 'IU', 'values': [json_value(v) for v in col]}
        else:
            out[name] = {'kind': 'string', 'values': [json_value(v) for v in col]}
    return out


def expected(adata):
    return {
        'n_obs': adata.n_obs,
        'n_vars': adata.n_vars,
        'obs_names': adata.obs_names.tolist(),
        'var_names': adata.var_names.tolist(),
        'X': to_json_matrix(adata.X),
        'layers': {k: to_json_matrix(v) for k, v in adata.layers.items()},
        'obs': to_json_obs(adata.obs),
    }


def write_expected(name, adata):
    (GOOD / f'{name}.expected.json').write_text(json.dumps(expected(adata), indent=None, separators=(',', ':')) + '\n')


def check_same(a, b, where):
    """Every container must read back identically with anndata."""
    assert json.dumps(expected(a), sort_keys=True) == json.dumps(expected(b), sort_keys=True), where


def make_good():
    rng = np.random.default_rng(20241122)
    small = make_csr(rng)
    small.write_h5ad(GOOD / 'small-csr.h5ad')
    small.write_h5ad(GOOD / 'small-csr.gzip.h5ad', compression='gzip')
    small.write_zarr(GOOD / 'small-csr.zarr')
    rechunk_zarr(GOOD / 'small-csr.zarr', {
        'X/data': (64, numcodecs.Blosc('lz4', 5, numcodecs.Blosc.SHUFFLE)),
        'X/indices': (64, numcodecs.Blosc('zstd', 3, numcodecs.Blosc.BITSHUFFLE)),
        'X/indptr': (16, numcodecs.GZip(5)),
        'layers/counts/data': (100, numcodecs.Zstd(3)),
        'layers/counts/indptr': (8, numcodecs.Zlib(3)),
        'obs/barcode': (16, numcodecs.Blosc('lz4')),
        'obs/cell_type/codes': (16, numcodecs.Blosc('zlib')),
    })
    zarr.consolidate_metadata(str(GOOD / 'small-csr.zarr'))
    for path in ['small-csr.h5ad', 'small-csr.gzip.h5ad']:
        check_same(small, ad.read_h5ad(GOOD / path), path)
    check_same(small, ad.read_zarr(GOOD / 'small-csr.zarr'), 'small-csr.zarr')
    write_expected('small-csr', small)

    dense = make_dense(rng)
    dense.write_h5ad(GOOD / 'small-dense.h5ad')
    dense.write_zarr(GOOD / 'small-dense.zarr', chunks=(5, 12))  # not consolidated, row chunks of 5
    check_same(dense, ad.read_h5ad(GOOD / 'small-dense.h5ad'), 'small-dense.h5ad')
    check_same(dense, ad.read_zarr(GOOD / 'small-dense.zarr'), 'small-dense.zarr')
    write_expected('small-dense', dense)

    csc = ad.AnnData(X=sp.csc_matrix(small.X[:10]), obs=pd.DataFrame(index=[f'c{i}' for i in range(10)]), var=small.var[[]])
    csc.write_h5ad(GOOD / 'small-csc.h5ad')
    csc.write_zarr(GOOD / 'small-csc.zarr')

    # h5py's LZF filter is not in h5wasm: the reader must name it and say how to re-save.
    lzf = ad.AnnData(X=small.X[:8], obs=pd.DataFrame(index=small.obs_names[:8]), var=small.var[[]])
    lzf.write_h5ad(GOOD / 'small-lzf.h5ad', compression='lzf')

    # anndata < 0.8 kept categorical codes as a plain obs array with categories in obs/__categories.
    legacy = zarr.open_group(str(GOOD / 'legacy-categorical.zarr'), mode='w')
    legacy.attrs.update({'encoding-type': 'anndata', 'encoding-version': '0.1.0'})
    obs = legacy.create_group('obs')
    obs.attrs.update({'_index': '_index', 'column-order': ['cell_type'], 'encoding-type': 'dataframe', 'encoding-version': '0.1.0'})
    obs.create_dataset('_index', data=np.array(['c0', 'c1', 'c2', 'c3'], dtype=object), object_codec=numcodecs.VLenUTF8())
    codes = obs.create_dataset('cell_type', data=np.array([1, 0, -1, 1], dtype=np.int8))
    codes.attrs['categories'] = '__categories/cell_type'
    obs.create_group('__categories').create_dataset('cell_type', data=np.array(['B', 'T'], dtype=object), object_codec=numcodecs.VLenUTF8())
    var = legacy.create_group('var')
    var.attrs.update({'_index': '_index', 'column-order': [], 'encoding-type': 'dataframe', 'encoding-version': '0.1.0'})
    var.create_dataset('_index', data=np.array(['g0', 'g1'], dtype=object), object_codec=numcodecs.VLenUTF8())
    legacy.create_dataset('X', data=np.arange(8, dtype=np.float32).reshape(4, 2))


def make_legacy_h5ad():
    """anndata 0.7's h5ad: categorical codes in obs with an object-reference attribute to obs/__categories/<col>."""
    with h5py.File(GOOD / 'legacy-categorical.h5ad', 'w') as f:
        obs = f.create_group('obs')
        obs.attrs.update({'_index': '_index', 'column-order': np.array(['cell_type'], dtype=h5py.string_dtype()), 'encoding-type': 'dataframe', 'encoding-version': '0.1.0'})
        obs.create_dataset('_index', data=np.array(['c0', 'c1', 'c2', 'c3'], dtype=h5py.string_dtype()))
        categories = obs.create_group('__categories').create_dataset('cell_type', data=np.array(['B', 'T'], dtype=h5py.string_dtype()))
        codes = obs.create_dataset('cell_type', data=np.array([1, 0, -1, 1], dtype=np.int8))
        codes.attrs['categories'] = categories.ref
        var = f.create_group('var')
        var.attrs.update({'_index': '_index', 'column-order': np.array([], dtype=h5py.string_dtype()), 'encoding-type': 'dataframe', 'encoding-version': '0.1.0'})
        var.create_dataset('_index', data=np.array(['g0', 'g1'], dtype=h5py.string_dtype()))
        f.create_dataset('X', data=np.arange(8, dtype=np.float32).reshape(4, 2))


def copy_zarr(name, to):
    dest = BAD / to
    shutil.copytree(GOOD / name, dest)
    return dest


def edit_array(path, fn):
    arr = zarr.open_array(str(path), mode='r+')
    values = arr[...]
    fn(values)
    arr[...] = values


def make_malformed():
    src = (GOOD / 'small-csr.h5ad').read_bytes()
    (BAD / 'truncated.h5ad').write_bytes(src[: len(src) * 6 // 10])
    (BAD / 'not-hdf5.h5ad').write_bytes(b'this is not an HDF5 file\n' * 8)
    with h5py.File(BAD / 'not-anndata.h5ad', 'w') as f:
        f.create_dataset('something', data=np.arange(4))

    # anndata < 0.7 stored obs as one compound (record) dataset.
    with h5py.File(BAD / 'legacy-recarray.h5ad', 'w') as f:
        f.create_dataset('X', data=np.zeros((2, 2), dtype=np.float32))
        f.create_dataset('obs', data=np.array([(b'c0', 1), (b'c1', 2)], dtype=[('index', 'S2'), ('n', 'i4')]))
        f.create_dataset('var', data=np.array([(b'g0',), (b'g1',)], dtype=[('index', 'S2')]))

    # These stores are not consolidated, so each edit is what the reader sees.
    missing = copy_zarr('small-csr.zarr', 'missing-array.zarr')
    (missing / '.zmetadata').unlink()
    shutil.rmtree(missing / 'X' / 'indices')

    wrong = copy_zarr('small-dense.zarr', 'wrong-encoding.zarr')
    attrs = json.loads((wrong / 'obs' / 'cell_type' / '.zattrs').read_text())
    attrs['encoding-type'] = 'categorical-but-not-really'
    (wrong / 'obs' / 'cell_type' / '.zattrs').write_text(json.dumps(attrs))

    for name, fn in {
        'indptr-not-monotone.zarr': lambda: edit_array(BAD / 'indptr-not-monotone.zarr' / 'X' / 'indptr', lambda v: v.__setitem__(20, v[19] - 3)),
        'indices-out-of-range.zarr': lambda: edit_array(BAD / 'indices-out-of-range.zarr' / 'X' / 'indices', lambda v: v.__setitem__(40, 999)),
    }.items():
        dest = copy_zarr('small-csr.zarr', name)
        (dest / '.zmetadata').unlink()
        fn()


def main():
    for d in (GOOD, BAD):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    make_good()
    make_legacy_h5ad()
    make_malformed()
    total = sum(p.stat().st_size for p in ROOT.rglob('*') if p.is_file())
    print(f'wrote fixtures under {ROOT} ({total / 1024:.0f} KiB)')


if __name__ == '__main__':
    main()
