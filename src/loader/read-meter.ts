// How fast the loader reads: a RowReader wrapper counting the cells its reads return and the wall
// time at least one read was in flight (overlapping prefetches count once), so cells / seconds is
// the rate the reads could supply, whatever pace the consumer takes them at.
import type { RowReader } from './row-reader.ts';

export interface ReadMeter {
  /** Cells returned by finished reads. */
  readonly cells: number;
  /** Wall seconds during which at least one read was in flight. */
  readonly seconds: number;
}

export interface MeteredReader extends RowReader {
  meter(): ReadMeter;
}

export function meteredReader(reader: RowReader): MeteredReader {
  let cells = 0;
  let busy = 0;
  let inFlight = 0;
  let since = 0;
  return {
    async read(runs, options) {
      if (inFlight++ === 0) since = performance.now();
      try {
        const result = await reader.read(runs, options);
        for (const run of runs) cells += run.end - run.start;
        return result;
      } finally {
        if (--inFlight === 0) busy += performance.now() - since;
      }
    },
    transfer: () => reader.transfer(),
    close: () => reader.close(),
    meter: () => ({ cells, seconds: (busy + (inFlight > 0 ? performance.now() - since : 0)) / 1000 }),
  };
}
