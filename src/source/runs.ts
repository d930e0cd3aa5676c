// Row runs → few reads: runs closer than a chunk are read as one span (the chunk between them is
// fetched anyway), then cut apart again.

import { SourceError } from './errors.ts';
import type { ArrayNode, ArrayValues, NumericArray } from './tree.ts';
import type { RowRun } from './types.ts';

export interface Span {
  readonly start: number;
  readonly end: number;
  /** The runs inside this span, in order. */
  readonly runs: readonly RowRun[];
}

/** Checks runs are integer, sorted, non-overlapping and inside [0, length). */
export function checkRuns(runs: readonly RowRun[], length: number, label: string): void {
  let previousEnd = 0;
  for (const [i, { start, end }] of runs.entries()) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < previousEnd || end < start || end > length) {
      throw new SourceError('invalid-argument', label, `row run ${i} [${start}, ${end}) is not sorted, overlaps the previous one, or lies outside [0, ${length}) of ${label}`);
    }
    previousEnd = end;
  }
}

/** Groups sorted runs into spans, joining neighbours whose gap is under `gap` elements. */
export function groupRuns(runs: readonly RowRun[], gap: number): Span[] {
  const spans: Span[] = [];
  let current: RowRun[] = [];
  let start = 0;
  let end = 0;
  for (const run of runs) {
    if (run.end === run.start) continue;
    if (current.length > 0 && run.start - end < gap) {
      current.push(run);
      end = run.end;
      continue;
    }
    if (current.length > 0) spans.push({ start, end, runs: current });
    current = [run];
    start = run.start;
    end = run.end;
  }
  if (current.length > 0) spans.push({ start, end, runs: current });
  return spans;
}

export function totalLength(runs: readonly RowRun[]): number {
  return runs.reduce((n, r) => n + r.end - r.start, 0);
}

type NumericCtor = { new (length: number): NumericArray };

/** Concatenates pieces of one kind (all numeric of one type, or all strings). */
export function concatValues(pieces: readonly ArrayValues[], length: number): ArrayValues {
  const first = pieces[0];
  if (first === undefined) return new Float64Array(0);
  if (pieces.length === 1) return first;
  if (!ArrayBuffer.isView(first)) return pieces.flatMap((p) => p as readonly (string | null)[]);
  const out = new (first.constructor as NumericCtor)(length);
  let at = 0;
  for (const piece of pieces as NumericArray[]) {
    (out as Float64Array).set(piece as Float64Array, at);
    at += piece.length;
  }
  return out;
}

function sliceValues(values: ArrayValues, start: number, end: number): ArrayValues {
  return ArrayBuffer.isView(values) ? values.subarray(start, end) : values.slice(start, end);
}

/**
 * Reads the given rows of an array (rows of `width` elements each) with one read per span, all
 * spans concurrently, and returns them concatenated in run order (an array that reads chunk by
 * chunk does it itself, in one pass).
 */
export async function readRunsOf(node: ArrayNode, runs: readonly RowRun[], signal?: AbortSignal): Promise<ArrayValues> {
  if (node.readRuns) return node.readRuns(runs, signal);
  const width = node.shape.slice(1).reduce((a, b) => a * b, 1);
  const spans = groupRuns(runs, Math.max(1, node.chunkRows));
  const read = await Promise.all(spans.map((span) => node.read(span.start, span.end, signal)));
  const pieces: ArrayValues[] = [];
  spans.forEach((span, i) => {
    for (const run of span.runs) pieces.push(sliceValues(read[i]!, (run.start - span.start) * width, (run.end - span.start) * width));
  });
  return concatValues(pieces, totalLength(runs) * width);
}
