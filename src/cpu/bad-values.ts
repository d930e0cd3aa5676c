// Values of X that training cannot use, found when the data are first read (the HVG moments pass,
// or the in-memory load): NaN and ±Inf always; negative values too. Raw counts are never negative;
// log1p(normalised counts) is never negative either, so a negative value in "log-normalised"
// input means the matrix was scaled or centred (sc.pp.scale), where the seurat flavour's expm1 and
// the model's normalisation give meaningless numbers. Both are refused with a message saying so.

import { SourceError } from '../source/errors.ts';
import type { RowBlock } from '../source/types.ts';

/** What the matrix should hold: raw counts, or log1p of normalised counts. */
export type ValueKind = 'counts' | 'log1p';

export interface BadValues {
  /** NaN, ±Inf and negative values together. */
  readonly count: number;
  readonly nan: number;
  readonly infinite: number;
  readonly negative: number;
  /** The first bad value in row-major order: row (cell) and column (gene) of the matrix. */
  readonly first: { readonly row: number; readonly gene: number; readonly value: number };
}

/** A running tally over blocks read one after another. */
export interface BadValueTally {
  nan: number;
  infinite: number;
  negative: number;
  first?: { row: number; gene: number; value: number };
}

export function createBadValueTally(): BadValueTally {
  return { nan: 0, infinite: 0, negative: 0 };
}

/** Counts one bad value at (row, gene); called only for a value that fails `x >= 0 && x !== Infinity`. */
export function noteBadValue(tally: BadValueTally, row: number, gene: number, value: number): void {
  if (Number.isNaN(value)) tally.nan++;
  else if (value === Infinity || value === -Infinity) tally.infinite++;
  else tally.negative++;
  tally.first ??= { row, gene, value };
}

/**
 * Tallies the bad values of `block` (rows numbered from `firstRow`) into `tally`. `x >= 0` is false
 * for NaN and −Inf, so one comparison per value finds all but +Inf.
 */
export function tallyBadValues(tally: BadValueTally, block: RowBlock, firstRow = 0): BadValueTally {
  if (block.format === 'dense') {
    const { values, nCols } = block;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= 0 && v !== Infinity)) noteBadValue(tally, firstRow + Math.floor(i / nCols), i % nCols, v);
    }
    return tally;
  }
  const { indptr, indices, data, nRows } = block;
  for (let r = 0; r < nRows; r++) {
    for (let j = indptr[r]!; j < indptr[r + 1]!; j++) {
      const v = data[j]!;
      if (!(v >= 0 && v !== Infinity)) noteBadValue(tally, firstRow + r, indices[j]!, v);
    }
  }
  return tally;
}

/** The bad values of a tally, or undefined when there are none. */
export function badValuesOf(tally: BadValueTally): BadValues | undefined {
  const count = tally.nan + tally.infinite + tally.negative;
  return count > 0 && tally.first ? { count, nan: tally.nan, infinite: tally.infinite, negative: tally.negative, first: { ...tally.first } } : undefined;
}

/** Bad values of one block (rows numbered from `firstRow`), or undefined. */
export function findBadValues(block: RowBlock, firstRow = 0): BadValues | undefined {
  return badValuesOf(tallyBadValues(createBadValueTally(), block, firstRow));
}

export interface BadValueNames {
  /** Where the matrix is, e.g. "data.zarr: X". */
  readonly where?: string;
  readonly kind?: ValueKind;
  readonly cellName?: (row: number) => string | undefined;
  readonly geneName?: (gene: number) => string | undefined;
}

/** The 'bad-values' SourceError for `found`: counts by kind, the first cell and gene, and what to do. */
export function badValuesError(found: BadValues, names: BadValueNames = {}): SourceError {
  const where = names.where ?? 'X';
  const kinds = [
    found.nan && `${found.nan} NaN`,
    found.infinite && `${found.infinite} ±Inf`,
    found.negative && `${found.negative} negative`,
  ].filter(Boolean);
  const { row, gene, value } = found.first;
  const cell = names.cellName?.(row);
  const geneName = names.geneName?.(gene);
  const at = `cell ${row}${cell ? ` ('${cell}')` : ''}, gene ${gene}${geneName ? ` ('${geneName}')` : ''}: ${String(value)}`;
  const advice =
    found.nan + found.infinite > 0
      ? 'Training needs finite values: fix or drop these cells/genes (e.g. in scanpy, replace NaN with 0 only if that is what they mean) and write the file again.'
      : names.kind === 'log1p'
        ? 'Log-normalised values (log1p of normalised counts) are never negative: this matrix looks scaled or centred (sc.pp.scale). Train on the log-normalised values before scaling, or on raw counts.'
        : 'Raw counts are never negative: the matrix is not counts (train it as log-normalised data only if that is what it holds).';
  return new SourceError('bad-values', where, `${where} holds ${found.count} value${found.count === 1 ? '' : 's'} training cannot use (${kinds.join(', ')}); the first at ${at}. ${advice}`);
}

/** Throws a 'bad-values' SourceError when `block` holds NaN, ±Inf or negative values. */
export function checkValues(block: RowBlock, names: BadValueNames & { readonly firstRow?: number } = {}): void {
  const found = findBadValues(block, names.firstRow ?? 0);
  if (found) throw badValuesError(found, names);
}
