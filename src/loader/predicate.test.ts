import { describe, expect, it } from 'vitest';
import type { ObsValues } from '../source/types.ts';
import { PredicateError } from './errors.ts';
import { evaluatePredicate, parsePredicate, predicateColumns } from './predicate.ts';

const obs: Record<string, ObsValues> = {
  cell_type: { kind: 'categorical', codes: Int32Array.of(0, 1, 1, 2, -1, 1), categories: ['B', 'NK', 'T cell'] },
  condition: { kind: 'categorical', codes: Int32Array.of(0, 1, 0, 1, 1, 1), categories: ['control', 'stimulated'] },
  n_genes: { kind: 'numeric', values: Float64Array.of(100, 250, 300, NaN, 50, 1000) },
  donor: { kind: 'string', values: ['d1', 'd2', null, 'd1', 'd2', 'd3'] },
  qc: { kind: 'boolean', values: Uint8Array.of(1, 1, 0, 1, 0, 1), mask: Uint8Array.of(0, 0, 0, 0, 1, 0) },
};

const rows = (text: string): number[] => [...evaluatePredicate(parsePredicate(text), obs, 6)].flatMap((v, i) => (v ? [i] : []));

describe('row predicates', () => {
  it('parses and evaluates the issue example', () => {
    const p = parsePredicate('not (cell_type == NK and condition == stimulated)');
    expect(p).toEqual({
      op: 'not',
      arg: {
        op: 'and',
        args: [
          { op: 'eq', column: 'cell_type', value: 'NK' },
          { op: 'eq', column: 'condition', value: 'stimulated' },
        ],
      },
    });
    expect(rows('not (cell_type == NK and condition == stimulated)')).toEqual([0, 2, 3, 4]);
    expect(predicateColumns(p).sort()).toEqual(['cell_type', 'condition']);
  });

  it('handles quoted names, in, numbers, strings, booleans, nulls', () => {
    expect(rows(`cell_type == "T cell"`)).toEqual([3]);
    expect(rows(`cell_type in (B, 'T cell')`)).toEqual([0, 3]);
    expect(rows('n_genes >= 250 or donor == d1')).toEqual([0, 1, 2, 3, 5]);
    expect(rows('cell_type is null')).toEqual([4]);
    expect(rows('cell_type != NK')).toEqual([0, 3]);
    expect(rows('qc == true and not donor is null')).toEqual([0, 1, 3, 5]);
    expect(rows('n_genes < 200')).toEqual([0, 4]);
  });

  it('rejects unknown columns, categories and syntax with clear messages', () => {
    expect(() => rows('celltype == NK')).toThrow(/no column "celltype"/);
    expect(() => rows('cell_type == NKs')).toThrow(/no category "NKs".*B, NK, T cell/);
    expect(() => rows('cell_type < 3')).toThrow(/numeric/);
    expect(() => parsePredicate('cell_type == NK and')).toThrow(PredicateError);
    expect(() => parsePredicate('(cell_type == NK')).toThrow(/"\)"/);
    expect(() => parsePredicate('')).toThrow(/empty/);
  });
});
