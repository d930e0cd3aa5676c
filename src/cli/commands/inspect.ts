import { openSource } from '../../source/index.ts';
import type { MatrixInfo } from '../../source/types.ts';
import type { CliCommand } from '../main.ts';

const usage = `usage: trvae-web inspect <url-or-path> [--var-names N]

Prints a JSON summary of an AnnData: n_obs, n_vars, the encoding, dtype and nnz of X and of each
layer, every obs column with its kind (and categories with cell counts), obs columns that cannot be
read (with why), and the first var names. <url-or-path> is a zarr store URL (http/https), a zipped
zarr store (.zarr.zip, a file or a URL), a local zarr directory, or a local .h5ad file.`;

function matrixSummary(info: MatrixInfo) {
  return {
    encoding: info.encoding,
    dtype: info.dtype,
    shape: info.shape,
    ...(info.nnz !== undefined ? { nnz: info.nnz } : {}),
    ...(info.indexDtype !== undefined ? { index_dtype: info.indexDtype } : {}),
  };
}

export const command: CliCommand = {
  summary: 'print a JSON summary of an AnnData (zarr URL/directory or .h5ad)',
  usage,
  async run(args) {
    let target: string | undefined;
    let varNameCount = 20;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--var-names') {
        varNameCount = Number(args[++i]);
        if (!Number.isInteger(varNameCount) || varNameCount < 0) {
          console.error(`--var-names needs a non-negative integer\n\n${usage}`);
          return 2;
        }
      } else if (arg.startsWith('--') || target !== undefined) {
        console.error(`unexpected argument "${arg}"\n\n${usage}`);
        return 2;
      } else {
        target = arg;
      }
    }
    if (target === undefined) {
      console.error(usage);
      return 2;
    }
    const source = await openSource(target);
    try {
      const varNames = await source.varNames();
      const summary = {
        source: source.label,
        n_obs: source.nObs,
        n_vars: source.nVars,
        X: matrixSummary(source.X),
        layers: Object.fromEntries(Object.entries(source.layers).map(([name, info]) => [name, matrixSummary(info)])),
        obs: source.obsColumns.map((c) => ({
          name: c.name,
          kind: c.kind,
          encoding: c.encoding,
          dtype: c.dtype,
          nullable: c.nullable,
          ...(c.categories ? { categories: Object.fromEntries(c.categories.map((cat, i) => [cat, c.counts?.[i] ?? null])) } : {}),
          ...(c.ordered !== undefined ? { ordered: c.ordered } : {}),
        })),
        ...(source.unreadableObsColumns?.length ? { unreadable_obs: source.unreadableObsColumns.map((c) => ({ name: c.name, encoding: c.encoding, reason: c.reason })) } : {}),
        var_names: varNames.slice(0, varNameCount),
      };
      console.log(JSON.stringify(summary, null, 2));
      return 0;
    } finally {
      await source.close();
    }
  },
};
