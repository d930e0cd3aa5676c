// Sizes shared by both halves of the kernel benchmark (Node CPU path, browser GPU path).

export interface BenchRow {
  readonly kernel: string;
  readonly backend: string;
  readonly size: string;
  readonly seconds: number;
  readonly cellsPerSecond?: number;
}

export const benchShape = {
  /** A loader pool: 8,192 cells of a 20,000-gene atlas with ~1,500 non-zeros per cell. */
  poolRows: 8192,
  nVars: 20_000,
  meanNnz: 1500,
  batch: 4096,
  nSelected: 2000,
  repeats: 5,
  /** Rows of the pool whose per-gene moments (all genes, for HVG selection) are accumulated. */
  hvgRows: 2048,
} as const;
