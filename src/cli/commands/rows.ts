import { openSource } from '../../source/index.ts';
import type { RowBlock } from '../../source/types.ts';
import type { CliCommand } from '../main.ts';

const usage = `usage: trvae-web rows <url-or-path> <start> <end> [--layer NAME]

Prints rows [start, end) of X (or of a layer) as CSR JSON: {"shape", "indptr", "indices", "data"}.
A dense matrix is printed as the CSR of its non-zero values.`;

function toCsr(block: RowBlock): { indptr: number[]; indices: number[]; data: number[] } {
  if (block.format === 'csr') return { indptr: Array.from(block.indptr), indices: Array.from(block.indices), data: Array.from(block.data) };
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < block.nRows; r++) {
    for (let c = 0; c < block.nCols; c++) {
      const v = block.values[r * block.nCols + c]!;
      if (v !== 0) {
        indices.push(c);
        data.push(v);
      }
    }
    indptr.push(indices.length);
  }
  return { indptr, indices, data };
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
      const { block } = await source.readRows([{ start, end }], layer ? { layer } : {});
      console.log(JSON.stringify({ shape: [block.nRows, block.nCols], ...toCsr(block) }));
      return 0;
    } finally {
      await source.close();
    }
  },
};
