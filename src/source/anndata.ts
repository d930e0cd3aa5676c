// One AnnData over a container tree (zarr or HDF5): what is in it, and reads of row runs.

import { countCategories, encodingOf, readDataframe, readMatrix, type MatrixHandle, type ObsColumn } from './encodings.ts';
import { SourceError, throwIfAborted } from './errors.ts';
import { partOfAnnData, recogniseContainer } from './file-kind.ts';
import { checkRuns } from './runs.ts';
import type { GroupNode } from './tree.ts';
import type { AnnDataSource, ObsColumnInfo, ObsValues, ReadRowsOptions, RowRead, RowRun } from './types.ts';

export interface AnnDataOpenOptions {
  /**
   * Layers to look for when the container cannot list its groups (HTTP zarr without consolidated
   * metadata). Default ['counts'].
   */
  readonly layers?: readonly string[];
  /** Count cells per category at open when n_obs is at most this (reading all codes). Default 2,000,000. */
  readonly countCategoriesUpTo?: number;
  readonly signal?: AbortSignal;
}

/** An AnnDataSource plus the pieces a collection needs to concatenate several. */
export interface AnnDataParts {
  readonly source: AnnDataSource;
  readonly matrices: ReadonlyMap<string, MatrixHandle>;
  readonly obs: ReadonlyMap<string, ObsColumn>;
}

export async function openAnnDataParts(root: GroupNode, label: string, options: AnnDataOpenOptions = {}, close: () => Promise<void> = async () => {}): Promise<AnnDataParts> {
  const ctx = { label };
  const encoding = encodingOf(root);
  if (encoding !== 'anndata' && encoding !== '') {
    const part = partOfAnnData(encoding);
    const advice = part ? `It is ${part}.` : 'Open the AnnData file or store itself (write_h5ad or write_zarr writes one).';
    throw new SourceError('encoding', label, `${label} is not an AnnData file: its root has encoding-type '${encoding}', not 'anndata'. ${advice}`);
  }
  const [xNode, obsNode, varNode, layersNode] = await Promise.all([root.child('X'), root.child('obs'), root.child('var'), root.child('layers')]);
  if (!xNode && !obsNode && !varNode) {
    const keys = await root.keys();
    const kind = keys && recogniseContainer(keys);
    const found = keys?.length ? ` It holds ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? `, and ${keys.length - 8} more` : ''}${kind ? `: that is ${kind}` : ''}.` : keys ? ' It is empty.' : '';
    const advice = kind ? '' : ' Open a file written by anndata (write_h5ad or write_zarr).';
    throw new SourceError('malformed', label, `${label} is not an AnnData file: it has no X, obs or var (and no encoding-type attribute saying anndata).${found}${advice}`);
  }
  if (!xNode) throw new SourceError('malformed', label, `${label} has no X matrix. Store the expression matrix in X (or open a file that has one).`);
  const [X, obs, vars] = await Promise.all([readMatrix(xNode, ctx), readDataframe(obsNode, 'obs', ctx), readDataframe(varNode, 'var', ctx)]);
  const [nObs, nVars] = X.info.shape;
  if (obs.nRows !== nObs || vars.nRows !== nVars) {
    throw new SourceError('malformed', label, `${label}: X is ${nObs} × ${nVars} but obs has ${obs.nRows} rows and var ${vars.nRows}.`);
  }

  const matrices = new Map<string, MatrixHandle>([['X', X]]);
  if (layersNode?.kind === 'group') {
    const names = (await layersNode.keys()) ?? [...(options.layers ?? ['counts'])];
    const found = await Promise.all(names.map(async (name) => [name, await layersNode.child(name)] as const));
    for (const [name, node] of found) {
      if (!node) continue;
      const layer = await readMatrix(node, ctx);
      if (layer.info.shape[0] !== nObs || layer.info.shape[1] !== nVars) {
        throw new SourceError('malformed', label, `${label}: layer '${name}' is ${layer.info.shape.join(' × ')} but X is ${nObs} × ${nVars}.`);
      }
      matrices.set(name, layer);
    }
  }

  const countUpTo = options.countCategoriesUpTo ?? 2_000_000;
  const unreadable = new Map(obs.unreadable.map((c) => [c.name, c]));
  const counted = await Promise.all(
    obs.columns.map(async (c): Promise<ObsColumnInfo | undefined> => {
      if (c.info.kind !== 'categorical' || nObs > countUpTo) return c.info;
      try {
        return { ...c.info, counts: await countCategories(c, options.signal) };
      } catch (error) {
        // Codes outside the categories: the column is damaged, the rest of the file is not.
        if (!(error instanceof SourceError) || error.code !== 'malformed') throw error;
        unreadable.set(c.info.name, { name: c.info.name, encoding: c.info.encoding, error });
        return undefined;
      }
    }),
  );
  const infos = counted.filter((c): c is ObsColumnInfo => c !== undefined);
  const obsColumns = new Map(obs.columns.filter((c) => !unreadable.has(c.info.name)).map((c) => [c.info.name, c]));

  function column(name: string): ObsColumn {
    const c = obsColumns.get(name);
    const broken = unreadable.get(name);
    if (broken) throw new SourceError(broken.error.code, label, `${label}: obs column '${name}' cannot be read: ${broken.error.message}`, { cause: broken.error });
    if (!c) throw new SourceError('invalid-argument', label, `${label} has no obs column '${name}' (it has ${[...obsColumns.keys()].join(', ') || 'none'}).`);
    return c;
  }
  function matrix(layer: string | undefined): MatrixHandle {
    const m = matrices.get(layer ?? 'X');
    if (!m) throw new SourceError('invalid-argument', label, `${label} has no layer '${layer}' (it has ${[...matrices.keys()].filter((k) => k !== 'X').join(', ') || 'none'}).`);
    return m;
  }

  const layers = Object.fromEntries([...matrices].filter(([k]) => k !== 'X').map(([k, m]) => [k, m.info]));
  const source: AnnDataSource = {
    label,
    nObs,
    nVars,
    X: X.info,
    layers,
    obsColumns: infos,
    unreadableObsColumns: [...unreadable.values()].map((c) => ({ name: c.name, encoding: c.encoding, reason: c.error.message })),
    async varNames() {
      return (await vars.index.read(undefined)).map((name) => name ?? '');
    },
    async obsNames() {
      return (await obs.index.read(undefined)).map((name) => name ?? '');
    },
    async readObs(name, signal) {
      return column(name).read(undefined, signal);
    },
    async readRows(runs: readonly RowRun[], readOptions: ReadRowsOptions = {}): Promise<RowRead> {
      const { signal } = readOptions;
      throwIfAborted(signal, label);
      // An unknown or unreadable column is the answer, whatever the runs.
      const columns = (readOptions.obs ?? []).map(column);
      checkRuns(runs, nObs, label);
      const m = matrix(readOptions.layer);
      const [block, values] = await Promise.all([m.readRows(runs, signal), Promise.all(columns.map((c) => c.read(runs, signal)))]);
      const obsOut: Record<string, ObsValues> = {};
      columns.forEach((c, i) => (obsOut[c.info.name] = values[i]!));
      return { block, obs: obsOut };
    },
    async readExactRows(runs, readOptions = {}) {
      throwIfAborted(readOptions.signal, label);
      checkRuns(runs, nObs, label);
      return matrix(readOptions.layer).readExactRows(runs, readOptions.signal);
    },
    close,
  };
  return { source, matrices, obs: obsColumns };
}

export async function openAnnData(root: GroupNode, label: string, options?: AnnDataOpenOptions, close?: () => Promise<void>): Promise<AnnDataSource> {
  return (await openAnnDataParts(root, label, options, close)).source;
}
