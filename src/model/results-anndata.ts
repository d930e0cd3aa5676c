// Results as AnnData files scanpy opens (`anndata.read_h5ad`): the cells with their obs labels and
// the latent embeddings in obsm (X_trvae = μ, X_trvae_mmd = the MMD layer, cellxgene's X_ prefix),
// and the predicted cells (cells × model genes, obs naming the source cell and the condition pair).

import type { H5adColumn, H5adInput } from '../convert/h5ad-writer.ts';
import type { LabelColumn } from './results.ts';

export interface LatentCells {
  readonly obsNames: readonly string[];
  readonly labels: readonly LabelColumn[];
  readonly mu: Float32Array;
  readonly latent: number;
  /** The MMD layer's output (trVAE), [n, width]. */
  readonly mmd?: { readonly values: Float32Array; readonly width: number };
}

const labelColumns = (labels: readonly LabelColumn[]): H5adColumn[] =>
  labels.map((l) => ({ name: l.name, values: { kind: 'categorical', codes: l.codes, categories: l.categories } }));

export function latentAnnData(cells: LatentCells): H5adInput {
  return {
    obsNames: cells.obsNames,
    obs: labelColumns(cells.labels),
    obsm: {
      X_trvae: { values: cells.mu, width: cells.latent },
      ...(cells.mmd ? { X_trvae_mmd: cells.mmd } : {}),
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
