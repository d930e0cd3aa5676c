// Links that open a dataset with a run already set up: /?store=<url>&condition=…&cell_type=…&
// holdout=CT:COND&genes=…&epochs=… and every other training option by its CLI flag; zarr_format=2
// says the store is zarr v2 (it is then opened without asking for a v3 zarr.json). Parsing never
// drops anything silently: an unknown or invalid parameter becomes a problem shown on the page.
import { optionSpec, parseOptionValue, trainingOptionSpecs, formatDefault, type OptionKey } from '../model/options.ts';
import type { ZarrFormat } from '../source/index.ts';

/** Text values by option key, as the form holds them ('' = the default; holdout '' = no held-out pair). */
export type OptionTexts = Partial<Record<OptionKey, string>>;

export interface LinkConfig {
  readonly store?: string;
  readonly zarrFormat?: ZarrFormat;
  readonly values: OptionTexts;
  readonly problems: readonly string[];
}

/** The short names scanpy users write, accepted next to the CLI flags (and written into links). */
const shortNames: Readonly<Partial<Record<OptionKey, string>>> = { conditionKey: 'condition', cellTypeKey: 'cell_type' };

export const parameterName = (key: OptionKey): string => shortNames[key] ?? optionSpec(key).flag;

function keyOf(name: string): OptionKey | undefined {
  return trainingOptionSpecs.find((s) => s.flag === name || shortNames[s.key] === name)?.key;
}

const knownNames = (): string => ['store', 'zarr_format', ...trainingOptionSpecs.map((s) => parameterName(s.key))].join(', ');

/** Reads a query string; values are checked as the CLI checks its flags (the dataset-dependent checks come when it is open). */
export function parseLink(search: string): LinkConfig {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  let store: string | undefined;
  let zarrFormat: ZarrFormat | undefined;
  for (const [name, value] of new URLSearchParams(search)) {
    if (name === 'zarr_format') {
      if (zarrFormat !== undefined) problems.push(`zarr_format= is given twice; ${zarrFormat} is used`);
      else if (value === '2' || value === '3') zarrFormat = Number(value) as ZarrFormat;
      else problems.push(`zarr_format= must be 2 or 3 (the store's zarr version), got "${value}"`);
      continue;
    }
    if (name === 'store') {
      if (!value.trim()) problems.push('store= is empty: give the URL of an AnnData zarr store');
      else if (store !== undefined) problems.push(`store= is given twice; "${store}" is used`);
      else store = value.trim();
      continue;
    }
    const key = keyOf(name);
    if (!key) {
      problems.push(`unknown link parameter "${name}" (known: ${knownNames()})`);
      continue;
    }
    if (values[key] !== undefined) {
      problems.push(`${name}= is given twice; "${values[key]}" is used`);
      continue;
    }
    const spec = optionSpec(key);
    // holdout= (empty) turns the default held-out pair off; other options need a value.
    if (key === 'holdout' && value === '') {
      values[key] = '';
      continue;
    }
    try {
      parseOptionValue(spec, value);
      if (key === 'holdout' && (value.lastIndexOf(':') <= 0 || value.endsWith(':'))) throw new Error(`needs CELLTYPE:CONDITION (both set), got "${value}"`);
      if (spec.kind === 'text' && !value.trim() && key !== 'layer') throw new Error('needs a value');
      values[key] = value.trim();
    } catch (e) {
      problems.push(`${name}= ${(e as Error).message.replace(`--${spec.flag} `, '')}`);
    }
  }
  if (zarrFormat !== undefined && store === undefined) problems.push('zarr_format= describes the store= of a link, and this link has none');
  return { store, ...(zarrFormat !== undefined && store !== undefined ? { zarrFormat } : {}), values, problems };
}

/**
 * The query string of a configuration: the store (and zarr_format=2 for a v2 one: v3 is what an
 * unknown store is first asked for), the keys and the held-out pair always, other options only
 * where they differ from the defaults (short links that still say everything).
 */
export function linkQuery(store: string | undefined, values: OptionTexts, zarrFormat?: ZarrFormat): string {
  const params = new URLSearchParams();
  if (store) params.set('store', store);
  if (store && zarrFormat === 2) params.set('zarr_format', '2');
  for (const spec of trainingOptionSpecs) {
    const value = values[spec.key];
    if (value === undefined) continue;
    const always = spec.key === 'conditionKey' || spec.key === 'cellTypeKey' || spec.key === 'holdout';
    if (always ? value === '' && spec.key !== 'holdout' : value === '' || value.replace(/\s/g, '') === formatDefault(spec.key)) continue;
    params.set(parameterName(spec.key), value);
  }
  return params.toString().replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%2F/gi, '/');
}
