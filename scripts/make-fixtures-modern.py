#!/usr/bin/python3
"""Writes fixtures for the encodings Debian's anndata 0.8 cannot write, following anndata's on-disk
specification (docs/fileformat-prose.md, anndata/_io/specs/methods.py of anndata 0.11–0.14), with
h5py and zarr 2.13 directly; zarr v3 metadata is written by hand. Also a zipped zarr written by real
anndata 0.8 into zarr's ZipStore, and damaged / non-AnnData HDF5 files.

    /usr/bin/python3 scripts/make-fixtures-modern.py

Outputs under test/fixtures/:
  anndata/modern.h5ad, modern.zarr (v2), modern.v3.zarr   the same AnnData (see MODERN below) in each
  anndata/modern.expected.json                           its values, as the readers must return them
  anndata/half.h5ad, half.zarr                           float16 X (values in modern.expected.json's "half")
  anndata/modern.zarr.zip                                a zip of the modern.zarr folder (the store one level down)
  anndata/small-csr.zarr.zip                             small-csr.h5ad re-written by anndata into a ZipStore
  anndata/small-csr.lzf.h5ad, small-dense.lzf.h5ad       anndata's write_h5ad(compression='lzf'); dense X with shuffle + fletcher32
  anndata/small-dense.lzf-userblock.h5ad                 the dense one behind a 512-byte user block
  malformed/flipped-metadata.h5ad                        small-dense.h5ad with bits flipped in its global heap
"""
import gzip
import json
import shutil
import struct
from pathlib import Path

import anndata as ad
import h5py
import numcodecs
import numpy as np
import zarr

ROOT = Path(__file__).resolve().parent.parent / 'test' / 'fixtures'
GOOD = ROOT / 'anndata'
BAD = ROOT / 'malformed'

N_OBS, N_VARS = 6, 4

# X: float64 values float32 cannot hold exactly, and the non-finite values `rows` must print.
X = np.array([
    [0.1, 0.0, 1 / 3, 123456789.123456789],
    [0.0, 2.5, 0.0, 0.0],
    [np.nan, 0.0, np.inf, -np.inf],
    [1e-300, 0.0, 0.0, 7.0],
    [0.0, 0.0, 0.0, 0.0],
    [2.0 ** 60, 0.0, -0.2, 0.0],
], dtype=np.float64)
# layers/counts: int64 CSR with a value past 2**53 (exact only as an integer).
COUNTS = np.array([
    [1, 0, 3, 2 ** 53 + 1],
    [0, 5, 0, 0],
    [0, 0, 0, 0],
    [7, 0, 0, 2 ** 40 + 1],
    [0, 0, 1, 0],
    [9, 0, 0, 0],
], dtype=np.int64)
# X of half.h5ad: float16 CSR (read as float32).
HALF = np.array([
    [0.5, 0, 0, 1.25],
    [0, 0, 65504, 0],
    [0, 0, 0, 0],
    [0.0999755859375, 0, 0, 0],
    [0, 3, 0, 0],
    [0, 0, 0, -2],
], dtype=np.float16)

OBS_NAMES = [f'cell{i}' for i in range(N_OBS)]
VAR_NAMES = [f'G{j}' for j in range(N_VARS)]
DONOR = ['d1', None, 'd2', 'd1', None, 'd3']  # nullable-string-array with missing values
CELL_TYPES = ['B', 'T']                       # categories as a nullable-string-array (anndata 0.14)
CELL_CODES = [0, 1, 1, -1, 0, 1]
INT_CATS, INT_CODES = [2, 5, 10], [0, 2, 1, 1, -1, 0]
FLOAT_CATS, FLOAT_CODES = [0.5, 1.0, 2.25], [2, 2, 0, 1, 0, -1]
BOOL_CATS, BOOL_CODES = [False, True], [1, 0, 1, 1, -1, 0]


def str_list(values):
    return ['' if v is None else v for v in values]


def mask_of(values):
    return np.array([v is None for v in values])


# ── One description of the AnnData, written to each container ────────────────────────────────────
# A node is ('group', attrs, {name: node}) or ('array', attrs, numpy values, kind) where kind is
# 'num', 'bool' or 'str'.

def arr(values, attrs=None, kind='num'):
    return ('array', attrs or {}, values, kind)


def strings(values, attrs=None):
    return arr(np.array(str_list(values), dtype=object), attrs, 'str')


def enc(kind, version):
    return {'encoding-type': kind, 'encoding-version': version}


def nullable_strings(values):
    return ('group', enc('nullable-string-array', '0.1.0'), {
        'values': strings(values),
        'mask': arr(mask_of(values), kind='bool'),
    })


def categorical(categories, codes):
    return ('group', {**enc('categorical', '0.2.0'), 'ordered': False}, {
        'categories': categories,
        'codes': arr(np.array(codes, dtype=np.int8), enc('array', '0.2.0')),
    })


def csr(dense):
    rows, cols = np.nonzero(dense)
    indptr = np.searchsorted(rows, np.arange(dense.shape[0] + 1)).astype(np.int64)
    return ('group', {**enc('csr_matrix', '0.1.0'), 'shape': list(dense.shape)}, {
        'data': arr(dense[rows, cols]),
        'indices': arr(cols.astype(np.int32)),
        'indptr': arr(indptr),
    })


def dataframe(index_node, columns):
    return ('group', {**enc('dataframe', '0.2.0'), '_index': '_index', 'column-order': list(columns)}, {'_index': index_node, **columns})


MODERN = ('group', enc('anndata', '0.1.0'), {
    'X': arr(X, enc('array', '0.2.0')),
    'layers': ('group', enc('dict', '0.1.0'), {'counts': csr(COUNTS)}),
    'obs': dataframe(nullable_strings(OBS_NAMES), {
        'donor': nullable_strings(DONOR),
        'cell_type': categorical(nullable_strings(CELL_TYPES), CELL_CODES),
        'n_cat': categorical(arr(np.array(INT_CATS, dtype=np.int64), enc('array', '0.2.0')), INT_CODES),
        'dose': categorical(arr(np.array(FLOAT_CATS, dtype=np.float64), enc('array', '0.2.0')), FLOAT_CODES),
        'flag': categorical(arr(np.array(BOOL_CATS), enc('array', '0.2.0'), 'bool'), BOOL_CODES),
        # An encoding this reader does not know: the file must still open, the column reported unreadable.
        'ragged': ('group', enc('awkward-array', '0.1.0'), {'node0-offsets': arr(np.arange(N_OBS + 1, dtype=np.int64))}),
    }),
    'var': dataframe(nullable_strings(VAR_NAMES), {}),
})


# float16 X (zarrita reads float16 zarr only where the platform has Float16Array: Chromium, not Node 20).
HALF_ANNDATA = ('group', enc('anndata', '0.1.0'), {
    'X': csr(HALF),
    'obs': dataframe(strings(OBS_NAMES, enc('string-array', '0.2.0')), {}),
    'var': dataframe(strings(VAR_NAMES, enc('string-array', '0.2.0')), {}),
})


def write_h5(group, children):
    for name, node in children.items():
        if node[0] == 'group':
            sub = group.create_group(name)
            set_h5_attrs(sub, node[1])
            write_h5(sub, node[2])
        else:
            _, attrs, values, kind = node
            dtype = h5py.string_dtype() if kind == 'str' else None
            ds = group.create_dataset(name, data=values, dtype=dtype)
            set_h5_attrs(ds, attrs)


def set_h5_attrs(obj, attrs):
    for key, value in attrs.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            obj.attrs[key] = np.array(value, dtype=h5py.string_dtype())
        else:
            obj.attrs[key] = value


def write_zarr2(group, children):
    for name, node in children.items():
        if node[0] == 'group':
            sub = group.create_group(name)
            sub.attrs.update(node[1])
            write_zarr2(sub, node[2])
        else:
            _, attrs, values, kind = node
            codec = {'object_codec': numcodecs.VLenUTF8()} if kind == 'str' else {}
            a = group.create_dataset(name, data=values, chunks=(4,) + values.shape[1:], **codec)
            a.attrs.update(attrs)


def vlen_utf8(values):
    """A chunk of zarr v3's vlen-utf8 codec: item count, then each item's length and bytes (little-endian u32)."""
    out = [struct.pack('<I', len(values))]
    for v in values:
        b = v.encode('utf-8')
        out += [struct.pack('<I', len(b)), b]
    return b''.join(out)


V3_TYPES = {'float64': 'float64', 'float16': 'float16', 'int64': 'int64', 'int32': 'int32', 'int8': 'int8', 'bool': 'bool'}


def write_zarr3(path, node):
    """zarr v3 by hand: one chunk per array (row chunks of 4 for the 1-D ones), bytes codec (+ gzip for numbers)."""
    path.mkdir(parents=True, exist_ok=True)
    if node[0] == 'group':
        (path / 'zarr.json').write_text(json.dumps({'zarr_format': 3, 'node_type': 'group', 'attributes': node[1]}))
        for name, child in node[2].items():
            write_zarr3(path / name, child)
        return
    _, attrs, values, kind = node
    rows = 4
    chunks = [rows] + list(values.shape[1:])
    if kind == 'str':
        data_type, fill, codecs = 'string', '', [{'name': 'vlen-utf8', 'configuration': {}}]
    else:
        data_type = V3_TYPES[str(values.dtype)]
        fill = False if kind == 'bool' else 0
        codecs = [{'name': 'bytes', 'configuration': {'endian': 'little'}}, {'name': 'gzip', 'configuration': {'level': 5}}]
    meta = {
        'zarr_format': 3, 'node_type': 'array', 'shape': list(values.shape), 'data_type': data_type,
        'chunk_grid': {'name': 'regular', 'configuration': {'chunk_shape': chunks}},
        'chunk_key_encoding': {'name': 'default', 'configuration': {'separator': '/'}},
        'fill_value': fill, 'codecs': codecs, 'attributes': attrs,
    }
    (path / 'zarr.json').write_text(json.dumps(meta))
    for c in range(0, max(1, -(-values.shape[0] // rows))):
        part = values[c * rows:(c + 1) * rows]
        if part.shape[0] < rows:  # edge chunks are stored whole, padded with the fill value
            pad = np.zeros((rows - part.shape[0],) + part.shape[1:], dtype=part.dtype) if kind != 'str' else np.array([''] * (rows - part.shape[0]), dtype=object)
            part = np.concatenate([part, pad])
        if kind == 'str':
            raw = vlen_utf8(list(part))
        else:
            raw = gzip.compress(np.ascontiguousarray(part).astype(part.dtype.newbyteorder('<')).tobytes(), 5, mtime=0)
        key = path / 'c' / '/'.join([str(c)] + ['0'] * (values.ndim - 1))
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_bytes(raw)


def num(v):
    """JSON for a number that may be non-finite or an int64 past 2**53: a string the test parses."""
    if isinstance(v, (int, np.integer)):
        return int(v) if abs(int(v)) < 2 ** 53 else str(int(v))
    f = float(v)
    return f if np.isfinite(f) else repr(f)


def dense_json(m):
    return {'shape': list(m.shape), 'dtype': str(m.dtype), 'values': [num(v) for v in m.ravel().tolist()]}


def modern_expected():
    def cat(categories, codes):
        return {'kind': 'categorical', 'categories': categories, 'codes': codes, 'counts': [codes.count(i) for i in range(len(categories))]}
    return {
        'n_obs': N_OBS, 'n_vars': N_VARS, 'obs_names': OBS_NAMES, 'var_names': VAR_NAMES,
        'X': dense_json(X),
        'layers': {'counts': dense_json(COUNTS)},
        'half': dense_json(HALF.astype(np.float32)),
        'obs': {
            'donor': {'kind': 'string', 'values': DONOR},
            'cell_type': cat(CELL_TYPES, CELL_CODES),
            'n_cat': cat([str(c) for c in INT_CATS], INT_CODES),
            'dose': cat(['0.5', '1.0', '2.25'], FLOAT_CODES),
            'flag': cat(['False', 'True'], BOOL_CODES),
        },
        'unreadable': ['ragged'],
    }


def make_modern():
    for p in [GOOD / 'modern.h5ad', GOOD / 'modern.zarr', GOOD / 'modern.v3.zarr', GOOD / 'half.zarr']:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    for name, tree in [('modern.h5ad', MODERN), ('half.h5ad', HALF_ANNDATA)]:
        with h5py.File(GOOD / name, 'w') as f:
            set_h5_attrs(f, tree[1])
            write_h5(f, tree[2])
    root = zarr.open_group(str(GOOD / 'modern.zarr'), mode='w')
    root.attrs.update(MODERN[1])
    write_zarr2(root, MODERN[2])
    zarr.consolidate_metadata(str(GOOD / 'modern.zarr'))
    write_zarr3(GOOD / 'modern.v3.zarr', MODERN)
    zip_folder(GOOD / 'modern.zarr', GOOD / 'modern.zarr.zip')
    half = zarr.open_group(str(GOOD / 'half.zarr'), mode='w')
    half.attrs.update(HALF_ANNDATA[1])
    write_zarr2(half, HALF_ANNDATA[2])
    (GOOD / 'modern.expected.json').write_text(json.dumps(modern_expected(), separators=(',', ':')) + '\n')


def zip_folder(folder, target):
    """A zip of a store's folder (entries under 'name.zarr/'), as zipping a directory by hand gives."""
    import zipfile
    with zipfile.ZipFile(target, 'w', zipfile.ZIP_STORED) as z:
        for path in sorted(folder.rglob('*')):
            if path.is_file():
                info = zipfile.ZipInfo(str(path.relative_to(folder.parent)), date_time=(2024, 1, 1, 0, 0, 0))
                z.writestr(info, path.read_bytes())


def make_zip():
    """anndata 0.8's own write_zarr into zarr 2.13's ZipStore (what pipelines that ship .zarr.zip do)."""
    target = GOOD / 'small-csr.zarr.zip'
    target.unlink(missing_ok=True)
    adata = ad.read_h5ad(GOOD / 'small-csr.h5ad')
    store = zarr.ZipStore(str(target), mode='w')
    adata.write_zarr(store)
    store.close()
    back = ad.read_zarr(zarr.ZipStore(str(target), mode='r'))
    assert (back.X != adata.X).nnz == 0 and back.obs.equals(adata.obs)


def make_lzf():
    """h5py's lzf filter (anndata 0.7-era files): anndata's own write_h5ad(compression='lzf') of the
    small fixtures, and X of the dense one re-written with small 2-D chunks, shuffle and fletcher32."""
    for name in ['small-csr', 'small-dense']:
        adata = ad.read_h5ad(GOOD / f'{name}.h5ad')
        adata.write_h5ad(GOOD / f'{name}.lzf.h5ad', compression='lzf')
    with h5py.File(GOOD / 'small-dense.lzf.h5ad', 'r+') as f:
        values, attrs = f['X'][...], dict(f['X'].attrs)
        del f['X']
        x = f.create_dataset('X', data=values, chunks=(5, 5), compression='lzf', shuffle=True, fletcher32=True)
        x.attrs.update(attrs)
    # The same behind a 512-byte user block: HDF5 addresses count from the superblock, not the file start.
    with h5py.File(GOOD / 'small-dense.lzf.h5ad', 'r') as src, h5py.File(GOOD / 'small-dense.lzf-userblock.h5ad', 'w', userblock_size=512) as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for key in src:
            src.copy(src[key], dst, name=key)
    for name, lzf in [('small-csr', 'small-csr.lzf'), ('small-dense', 'small-dense.lzf'), ('small-dense', 'small-dense.lzf-userblock')]:
        a, b = ad.read_h5ad(GOOD / f'{name}.h5ad'), ad.read_h5ad(GOOD / f'{lzf}.h5ad')
        assert (np.asarray(a.X.todense() if hasattr(a.X, 'todense') else a.X) == np.asarray(b.X.todense() if hasattr(b.X, 'todense') else b.X)).all()
        assert a.obs.equals(b.obs), lzf


def make_flipped():
    """The size field of the first object in small-dense.h5ad's global heap (its vlen strings) bit-flipped:
    HDF5 runs off the heap's end and aborts inside h5wasm after printing its error stack."""
    src = bytearray((GOOD / 'small-dense.h5ad').read_bytes())
    heap = src.index(b'GCOL')
    # Collection header: 'GCOL', version, 3 reserved, 8-byte size; then objects: index (2), refcount (2),
    # reserved (4), size (8).
    size_at = heap + 16 + 8
    for at in range(size_at, size_at + 8):
        src[at] ^= 0xFF
    (BAD / 'flipped-metadata.h5ad').write_bytes(bytes(src))


if __name__ == '__main__':
    make_modern()
    make_zip()
    make_lzf()
    make_flipped()
