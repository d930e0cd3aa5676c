import { openSource } from '../../source/index.ts';
import type { ExactRowBlock, RowBlock } from '../../source/types.ts';
import type { CliCommand } from '../main.ts';

const usage = `usage: trvae-web rows <url-or-path> <start> <end> [--layer NAME]

Prints rows [start, end) of X (or of a layer) as CSR JSON: {"shape", "indptr", "indices", "data"}.
A dense matrix is printed as the CSR of its non-zero values. Values are the stored ones, unrounded
(float64 and int64 exactly); NaN and ±Inf print as NaN, Infinity and -Infinity, which Python's
json module reads back.`;

type Value = number | bigint;

function toCsr(block: RowBlock | ExactRowBlock): { indptr: number[]; indices: number[]; data: Value[] } {
  if (block.format === 'csr') return { indptr: Array.from(block.indptr), indices: Array.from(block.indices), data: Array.from(block.data as ArrayLike<Value>) };
  const values = block.values as ArrayLike<Value>;
  const indptr = [0];
  const indices: number[] = [];
  const data: Value[] = [];
  for (let r = 0; r < block.nRows; r++) {
    for (let c = 0; c < block.nCols; c++) {
      const v = values[r * block.nCols + c]!;
      if (v !== 0 && v !== 0n) {
        indices.push(c);
        data.push(v);
      }
    }
    indptr.push(indices.length);
  }
  return { indptr, indices, data };
}

/** A number as JSON, except that NaN and ±Inf keep their value (as Python's json writes them) and int64 its digits. */
function formatValue(v: Value): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return JSON.stringify(v);
}

export const command: CliCommand = {
  summary: 'print rows [start, end) of X or a layer as CSR JSON',
  usage,
  async run(args) {
    const positional: string[] = [];
    let layer: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--layer') {
        layer = args[++i];
        if (!layer) {
          console.error(`--layer needs a name\n\n${usage}`);
          return 2;
        }
      } else if (arg.startsWith('--')) {
        console.error(`unknown option "${arg}"\n\n${usage}`);
        return 2;
      } else {
        positional.push(arg);
      }
    }
    const [target, startText, endText] = positional;
    const start = Number(startText);
    const end = Number(endText);
    if (positional.length !== 3 || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
      console.error(`need <url-or-path> <start> <end> with 0 <= start <= end\n\n${usage}`);
      return 2;
    }
    const source = await openSource(target!);
    try {
      const runs = [{ start, end }];
      const options = layer ? { layer } : {};
      const block = source.readExactRows ? await source.readExactRows(runs, options) : (await source.readRows(runs, options)).block;
      const { indptr, indices, data } = toCsr(block);
      console.log(`{"shape":${JSON.stringify([block.nRows, block.nCols])},"indptr":${JSON.stringify(indptr)},"indices":${JSON.stringify(indices)},"data":[${data.map(formatValue).join(',')}]}`);
      return 0;
    } finally {
      await source.close();
    }
  },
};
