// annbatch's pre-shuffled collection: a root group (encoding-type 'annbatch-preshuffled') holding
// dataset_0 … dataset_N, each a complete AnnData. Read as one source whose rows are the datasets
// concatenated in numeric order; categorical obs columns get the union of the datasets' categories.

import { openAnnDataParts, type AnnDataOpenOptions, type AnnDataParts } from './anndata.ts';
import { SourceError, throwIfAborted } from './errors.ts';
import { checkRuns } from './runs.ts';
import type { GroupNode } from './tree.ts';
import type { AnnDataSource, ExactRowBlock, ExactValues, MatrixInfo, ObsColumnInfo, ObsValues, ReadRowsOptions, RowBlock, RowRead, RowRun } from './types.ts';

async function datasetGroups(root: GroupNode, label: string): Promise<GroupNode[]> {
  let names = (await root.keys())?.filter((k) => /^dataset_\d+$/.test(k));
  if (!names) {
    // Without a listing, probe dataset_0, dataset_1, … until one is missing.
    names = [];
    while ((await root.child(`dataset_${names.length}`)) !== undefined) names.push(`dataset_${names.length}`);
  }
  names.sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
  const groups = await Promise.all(names.map((n) => root.child(n)));
  if (groups.length === 0) throw new SourceError('malformed', label, `${label} is an annbatch pre-shuffled collection with no dataset_0, dataset_1, … groups.`);
  return groups.map((g, i) => {
    if (g?.kind !== 'group') throw new SourceError('malformed', label, `${label}: ${names[i]} is not a group.`);
    return g;
  });
}

/** Categories of one column over all datasets, and per dataset the map from its codes to the union's. */
function unionCategories(infos: readonly ObsColumnInfo[]): { categories: string[]; remap: Int32Array[] } {
  const categories: string[] = [];
  const position = new Map<string, number>();
  const remap = infos.map((info) =>
    Int32Array.from(info.categories ?? [], (c) => {
      let at = position.get(c);
      if (at === undefined) {
        at = categories.length;
        categories.push(c);
        position.set(c, at);
      }
      return at;
    }),
  );
  return { categories, remap };
}

type BlockValues = Float32Array | ExactValues;

/** One array of the parts' values, of their common type (float64 when datasets store different ones). */
function concatValues<V extends BlockValues>(parts: readonly V[]): V {
  const Type = parts[0]!.constructor as new (length: number) => BlockValues;
  const same = parts.every((p) => p.constructor === Type);
  const out = same ? new Type(parts.reduce((n, p) => n + p.length, 0)) : new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    if (same) (out as { set(values: V, offset: number): void }).set(p, at);
    else (out as Float64Array).set(Float64Array.from(p as ArrayLike<number | bigint>, Number), at);
    at += p.length;
  }
  return out as V;
}

function concatBlocks<B extends RowBlock | ExactRowBlock>(blocks: readonly B[], nCols: number): B {
  if (blocks.length === 1) return blocks[0]!;
  if (blocks.every((b) => b.format === 'dense')) {
    const values = concatValues(blocks.map((b) => (b as Extract<B, { format: 'dense' }>).values));
    return { format: 'dense', nRows: values.length / nCols, nCols, values } as B;
  }
  const csr = blocks as readonly Extract<B, { format: 'csr' }>[];
  const nRows = csr.reduce((n, b) => n + b.nRows, 0);
  const nnz = csr.reduce((n, b) => n + b.data.length, 0);
  const data = concatValues(csr.map((b) => b.data));
  const indices = csr.every((b) => b.indices instanceof Uint16Array) ? new Uint16Array(nnz) : new Int32Array(nnz);
  const indptr = nnz < 2 ** 31 ? new Int32Array(nRows + 1) : new Float64Array(nRows + 1);
  let row = 0;
  let offset = 0;
  for (const b of csr) {
    indices.set(b.indices, offset);
    for (let i = 1; i <= b.nRows; i++) indptr[row + i] = offset + b.indptr[i]!;
    row += b.nRows;
    offset += b.data.length;
  }
  return { format: 'csr', nRows, nCols, indptr, indices, data } as B;
}

function concatObs(parts: readonly ObsValues[], remaps: readonly (Int32Array | undefined)[], categories: string[] | undefined): ObsValues {
  const first = parts[0]!;
  switch (first.kind) {
    case 'categorical': {
      const codes = new Int32Array(parts.reduce((n, p) => n + (p.kind === 'categorical' ? p.codes.length : 0), 0));
      let at = 0;
      parts.forEach((p, i) => {
        if (p.kind !== 'categorical') return;
        const remap = remaps[i]!;
        for (const code of p.codes) codes[at++] = code < 0 ? -1 : remap[code]!;
      });
      return { kind: 'categorical', codes, categories: categories ?? [] };
    }
    case 'string':
      return { kind: 'string', values: parts.flatMap((p) => (p.kind === 'string' ? p.values : [])) };
    case 'numeric':
    case 'boolean': {
      const typed = parts as readonly (ObsValues & { kind: 'numeric' | 'boolean' })[];
      const length = typed.reduce((n, p) => n + p.values.length, 0);
      const values = first.kind === 'numeric' ? new Float64Array(length) : new Uint8Array(length);
      const anyMask = typed.some((p) => p.mask);
      const mask = anyMask ? new Uint8Array(length) : undefined;
      let at = 0;
      for (const p of typed) {
        values.set(p.values, at);
        if (mask && p.mask) mask.set(p.mask, at);
        at += p.values.length;
      }
      return first.kind === 'numeric' ? { kind: 'numeric', values: values as Float64Array, ...(mask ? { mask } : {}) } : { kind: 'boolean', values: values as Uint8Array, ...(mask ? { mask } : {}) };
    }
  }
}

export async function openCollection(root: GroupNode, label: string, options: AnnDataOpenOptions = {}): Promise<AnnDataSource> {
  const groups = await datasetGroups(root, label);
  const parts: AnnDataParts[] = await Promise.all(groups.map((g) => openAnnDataParts(g, `${label}/${g.path}`, options)));
  const sources = parts.map((p) => p.source);
  const first = sources[0]!;
  for (const s of sources) {
    if (s.nVars !== first.nVars || s.X.encoding !== first.X.encoding) {
      throw new SourceError('malformed', label, `${label}: ${s.label} has ${s.nVars} vars stored as ${s.X.encoding}, but ${first.label} has ${first.nVars} as ${first.X.encoding}; datasets of a collection must match.`);
    }
  }
  const names = await Promise.all(sources.map((s) => s.varNames()));
  names.forEach((n, i) => {
    const differs = n.findIndex((v, j) => v !== names[0]![j]);
    if (differs >= 0) throw new SourceError('malformed', label, `${label}: var ${differs} is '${n[differs]}' in ${sources[i]!.label} but '${names[0]![differs]}' in ${first.label}.`);
  });

  const offsets = [0];
  for (const s of sources) offsets.push(offsets[offsets.length - 1]! + s.nObs);
  const nObs = offsets[offsets.length - 1]!;
  const sumInfo = (pick: (s: AnnDataSource) => MatrixInfo | undefined): MatrixInfo => {
    const infos = sources.map(pick) as MatrixInfo[];
    const nnz = infos.every((i) => i.nnz !== undefined) ? infos.reduce((n, i) => n + i.nnz!, 0) : undefined;
    return { ...infos[0]!, shape: [nObs, first.nVars], ...(nnz !== undefined ? { nnz } : {}) };
  };
  const layerNames = Object.keys(first.layers).filter((name) => sources.every((s) => name in s.layers));
  const layers = Object.fromEntries(layerNames.map((name) => [name, sumInfo((s) => s.layers[name])]));

  const columns = new Map<string, { info: ObsColumnInfo; remap: Int32Array[] }>();
  for (const info of first.obsColumns) {
    const all = sources.map((s) => s.obsColumns.find((c) => c.name === info.name));
    if (all.some((c) => c?.kind !== info.kind)) continue; // only columns every dataset has, with one kind
    const present = all as ObsColumnInfo[];
    if (info.kind !== 'categorical') {
      columns.set(info.name, { info: { ...info, nullable: present.some((c) => c.nullable) }, remap: [] });
      continue;
    }
    const { categories, remap } = unionCategories(present);
    let counts: number[] | undefined = new Array<number>(categories.length).fill(0);
    for (const [i, c] of present.entries()) {
      if (!c.counts) counts = undefined;
      else c.counts.forEach((n, k) => (counts![remap[i]![k]!] += n));
    }
    columns.set(info.name, { info: { ...info, categories, ...(counts ? { counts } : {}) }, remap });
  }

  function column(name: string) {
    const c = columns.get(name);
    if (!c) throw new SourceError('invalid-argument', label, `${label} has no obs column '${name}' common to all datasets (it has ${[...columns.keys()].join(', ') || 'none'}).`);
    return c;
  }

  /** Splits global runs into per-dataset local runs. */
  function split(runs: readonly RowRun[]): RowRun[][] {
    const local: RowRun[][] = sources.map(() => []);
    for (const run of runs) {
      for (let d = 0; d < sources.length; d++) {
        const start = Math.max(run.start, offsets[d]!);
        const end = Math.min(run.end, offsets[d + 1]!);
        if (end > start) local[d]!.push({ start: start - offsets[d]!, end: end - offsets[d]! });
      }
    }
    return local;
  }

  return {
    label,
    nObs,
    nVars: first.nVars,
    X: sumInfo((s) => s.X),
    layers,
    obsColumns: [...columns.values()].map((c) => c.info),
    varNames: async () => names[0]!,
    async obsNames() {
      const parts = await Promise.all(sources.map((s) => (s.obsNames ? s.obsNames() : Array.from({ length: s.nObs }, (_, i) => `${s.label}:${i}`))));
      return parts.flat();
    },
    async readObs(name, signal) {
      const c = column(name);
      const values = await Promise.all(sources.map((s) => s.readObs(name, signal)));
      return concatObs(values, c.remap, c.info.categories ? [...c.info.categories] : undefined);
    },
    async readRows(runs: readonly RowRun[], readOptions: ReadRowsOptions = {}): Promise<RowRead> {
      throwIfAborted(readOptions.signal, label);
      checkRuns(runs, nObs, label);
      if (readOptions.layer !== undefined && !(readOptions.layer in layers)) {
        throw new SourceError('invalid-argument', label, `${label} has no layer '${readOptions.layer}' in every dataset (common layers: ${layerNames.join(', ') || 'none'}).`);
      }
      const obsNames = readOptions.obs ?? [];
      obsNames.forEach(column);
      const local = split(runs);
      const used = local.map((r, d) => [r, d] as const).filter(([r]) => r.length > 0);
      const reads = await Promise.all(used.map(([r, d]) => sources[d]!.readRows(r, readOptions)));
      const block = reads.length > 0 ? concatBlocks(reads.map((r) => r.block), first.nVars) : (await first.readRows([], readOptions)).block;
      const obs: Record<string, ObsValues> = {};
      for (const name of obsNames) {
        const c = column(name);
        const categories = c.info.categories ? [...c.info.categories] : undefined;
        obs[name] =
          reads.length > 0
            ? concatObs(reads.map((r) => r.obs[name]!), used.map(([, d]) => c.remap[d]), categories)
            : concatObs([(await first.readRows([], { obs: [name] })).obs[name]!], [c.remap[0]], categories);
      }
      return { block, obs };
    },
    async readExactRows(runs, readOptions = {}) {
      throwIfAborted(readOptions.signal, label);
      checkRuns(runs, nObs, label);
      if (readOptions.layer !== undefined && !(readOptions.layer in layers)) {
        throw new SourceError('invalid-argument', label, `${label} has no layer '${readOptions.layer}' in every dataset (common layers: ${layerNames.join(', ') || 'none'}).`);
      }
      const used = split(runs).map((r, d) => [r, d] as const).filter(([r]) => r.length > 0);
      const layer = readOptions.layer ?? 'X';
      const reads = await Promise.all(used.map(([r, d]) => parts[d]!.matrices.get(layer)!.readExactRows(r, readOptions.signal)));
      return reads.length > 0 ? concatBlocks(reads, first.nVars) : parts[0]!.matrices.get(layer)!.readExactRows([], readOptions.signal);
    },
    async close() {
      await Promise.all(sources.map((s) => s.close()));
    },
  };
}
