// Results as AnnData files scanpy opens (`anndata.read_h5ad`): the cells with their obs labels and
// the latent embeddings in obsm (X_trvae = μ, X_trvae_mmd = the MMD layer, cellxgene's X_ prefix),
// and the predicted cells (cells × model genes, obs naming the source cell and the condition pair).

import type { H5adColumn, H5adInput } from '../convert/h5ad-writer.ts';
import type { DatasetLatent } from './dataset-latent.ts';

/** Every cell of the dataset with all its obs columns, μ in X_trvae and (when every cell's is kept) the MMD layer in X_trvae_mmd. */
export function latentAnnData(dataset: DatasetLatent): H5adInput {
  const obs: H5adColumn[] = dataset.obs.map((c) => ({
    name: c.name,
    values: c.kind === 'categorical' ? { kind: 'categorical', codes: c.codes, categories: c.categories } : { kind: 'numeric', values: c.values },
  }));
  const { mmd } = dataset;
  return {
    obsNames: dataset.obsNames,
    obs,
    obsm: {
      X_trvae: { values: dataset.mu, width: dataset.width },
      ...(mmd?.all ? { X_trvae_mmd: { values: mmd.values, width: mmd.width } } : {}),
    },
  };
}

export interface PredictedCells {
  /** obs names of the source cells the predictions were made from. */
  readonly sourceObsNames: readonly string[];
  readonly cellType: string;
  readonly sourceCondition: string;
  readonly targetCondition: string;
  /** Predicted model inputs (log-normalised expression), [n, genes]. */
  readonly x: Float32Array;
  readonly geneNames: readonly string[];
}

export function predictionAnnData(p: PredictedCells): H5adInput {
  const n = p.sourceObsNames.length;
  const constant = (value: string): H5adColumn['values'] => ({ kind: 'categorical', codes: new Int32Array(n), categories: [value] });
  return {
    obsNames: p.sourceObsNames.map((name) => `${name}→${p.targetCondition}`),
    obs: [
      { name: 'source_cell', values: { kind: 'string', values: p.sourceObsNames } },
      { name: 'cell_type', values: constant(p.cellType) },
      { name: 'source_condition', values: constant(p.sourceCondition) },
      { name: 'condition', values: constant(p.targetCondition) },
    ],
    varNames: p.geneNames,
    X: p.x,
  };
}
