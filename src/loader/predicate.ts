// Row predicates on obs: a small typed form (no eval) plus a parser for the text form, e.g.
//   not (cell_type == NK and condition == stimulated)
//   n_genes >= 200 and batch in (b1, b2)
import type { ObsValues } from '../source/types.ts';
import { PredicateError } from './errors.ts';

export type Scalar = string | number | boolean;

export type RowPredicate =
  | { readonly op: 'eq' | 'ne'; readonly column: string; readonly value: Scalar }
  | { readonly op: 'lt' | 'le' | 'gt' | 'ge'; readonly column: string; readonly value: number }
  | { readonly op: 'in'; readonly column: string; readonly values: readonly Scalar[] }
  | { readonly op: 'isnull'; readonly column: string }
  | { readonly op: 'and' | 'or'; readonly args: readonly RowPredicate[] }
  | { readonly op: 'not'; readonly arg: RowPredicate };

/** obs columns a predicate reads (to fetch only those). */
export function predicateColumns(p: RowPredicate): string[] {
  const out = new Set<string>();
  const walk = (q: RowPredicate): void => {
    if (q.op === 'and' || q.op === 'or') q.args.forEach(walk);
    else if (q.op === 'not') walk(q.arg);
    else if ('column' in q) out.add(q.column);
  };
  walk(p);
  return [...out];
}

function isMissing(col: ObsValues, i: number): boolean {
  switch (col.kind) {
    case 'categorical':
      return col.codes[i]! < 0;
    case 'string':
      return col.values[i] === null;
    case 'numeric':
      return col.mask ? col.mask[i] !== 0 : Number.isNaN(col.values[i]!);
    case 'boolean':
      return col.mask ? col.mask[i] !== 0 : false;
  }
}

/** Per-row test for one column and a set of accepted values. */
function memberTest(column: string, col: ObsValues, values: readonly Scalar[]): (i: number) => boolean {
  switch (col.kind) {
    case 'categorical': {
      const codes = new Set<number>();
      for (const v of values) {
        const code = col.categories.indexOf(String(v));
        if (code < 0) {
          throw new PredicateError(
            `obs column "${column}" has no category "${String(v)}"; its categories are: ${col.categories.slice(0, 20).join(', ')}${col.categories.length > 20 ? ', …' : ''}`,
          );
        }
        codes.add(code);
      }
      return (i) => codes.has(col.codes[i]!);
    }
    case 'string': {
      const set = new Set(values.map(String));
      return (i) => {
        const v = col.values[i];
        return v !== null && v !== undefined && set.has(v);
      };
    }
    case 'numeric': {
      const nums = values.map((v) => {
        const n = typeof v === 'number' ? v : Number(v);
        if (Number.isNaN(n)) throw new PredicateError(`obs column "${column}" is numeric; "${String(v)}" is not a number`);
        return n;
      });
      const set = new Set(nums);
      return (i) => !isMissing(col, i) && set.has(col.values[i]!);
    }
    case 'boolean': {
      const bools = values.map((v): number => {
        if (v === true || v === 'true' || v === 'True' || v === 1) return 1;
        if (v === false || v === 'false' || v === 'False' || v === 0) return 0;
        throw new PredicateError(`obs column "${column}" is boolean; "${String(v)}" is not true or false`);
      });
      return (i) => !isMissing(col, i) && bools.includes(col.values[i]!);
    }
  }
}

/**
 * Evaluates a predicate over obs columns (each holding all `nRows` rows); 1 = row kept.
 * Missing values never satisfy a comparison (only `isnull`).
 */
export function evaluatePredicate(
  predicate: RowPredicate,
  columns: Readonly<Record<string, ObsValues>>,
  nRows: number,
): Uint8Array {
  const column = (name: string): ObsValues => {
    const col = columns[name];
    if (!col) throw new PredicateError(`obs has no column "${name}"; available: ${Object.keys(columns).join(', ')}`);
    return col;
  };
  const evalNode = (p: RowPredicate): Uint8Array => {
    const out = new Uint8Array(nRows);
    switch (p.op) {
      case 'and':
      case 'or': {
        if (p.args.length === 0) throw new PredicateError(`"${p.op}" needs at least one argument`);
        const parts = p.args.map(evalNode);
        for (let i = 0; i < nRows; i++) {
          let v = p.op === 'and' ? 1 : 0;
          for (const m of parts) v = p.op === 'and' ? v & m[i]! : v | m[i]!;
          out[i] = v;
        }
        return out;
      }
      case 'not': {
        const m = evalNode(p.arg);
        for (let i = 0; i < nRows; i++) out[i] = m[i] ? 0 : 1;
        return out;
      }
      case 'isnull': {
        const col = column(p.column);
        for (let i = 0; i < nRows; i++) out[i] = isMissing(col, i) ? 1 : 0;
        return out;
      }
      case 'eq':
      case 'ne':
      case 'in': {
        const col = column(p.column);
        const test = memberTest(p.column, col, p.op === 'in' ? p.values : [p.value]);
        for (let i = 0; i < nRows; i++) {
          const hit = test(i);
          out[i] = (p.op === 'ne' ? !hit && !isMissing(col, i) : hit) ? 1 : 0;
        }
        return out;
      }
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        const col = column(p.column);
        if (col.kind !== 'numeric') throw new PredicateError(`"${p.op}" needs a numeric obs column; "${p.column}" is ${col.kind}`);
        const v = p.value;
        const cmp =
          p.op === 'lt' ? (x: number) => x < v : p.op === 'le' ? (x: number) => x <= v : p.op === 'gt' ? (x: number) => x > v : (x: number) => x >= v;
        for (let i = 0; i < nRows; i++) out[i] = !isMissing(col, i) && cmp(col.values[i]!) ? 1 : 0;
        return out;
      }
    }
  };
  return evalNode(predicate);
}

// --- text form ---------------------------------------------------------------------------------

type Token = { kind: 'word' | 'string' | 'number' | 'op' | 'paren' | 'comma'; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\()|(\))|(,)|(==|!=|<=|>=|<|>)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])|([\w.\-+/:]+))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new PredicateError(`cannot read the predicate at character ${pos + 1}: "${text.slice(pos, pos + 20)}"`);
    const at = m.index + m[0].length - m[0].trimStart().length;
    if (m[1] || m[2]) tokens.push({ kind: 'paren', text: m[1] ?? m[2]!, at });
    else if (m[3]) tokens.push({ kind: 'comma', text: ',', at });
    else if (m[4]) tokens.push({ kind: 'op', text: m[4], at });
    else if (m[5] !== undefined || m[6] !== undefined) tokens.push({ kind: 'string', text: (m[5] ?? m[6]!).replace(/\\(.)/g, '$1'), at });
    else if (m[7]) tokens.push({ kind: 'number', text: m[7], at });
    else tokens.push({ kind: 'word', text: m[8]!, at });
    pos = re.lastIndex;
  }
  return tokens;
}

const comparison: Record<string, 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'> = {
  '==': 'eq',
  '!=': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
};

/**
 * Parses `expr := or; or := and ("or" and)*; and := unary ("and" unary)*;
 * unary := "not" unary | "(" expr ")" | column op value | column "in" "(" value ("," value)* ")" | column "is" "null"`.
 * Values are numbers, quoted strings, or bare words (category names).
 */
export function parsePredicate(text: string): RowPredicate {
  const tokens = tokenize(text);
  let k = 0;
  const fail = (what: string): never => {
    const t = tokens[k];
    throw new PredicateError(`${what} ${t ? `at character ${t.at + 1} ("${t.text}")` : 'at the end'} in: ${text}`);
  };
  const peekWord = (w: string): boolean => tokens[k]?.kind === 'word' && tokens[k]!.text.toLowerCase() === w;
  const value = (): Scalar => {
    const t = tokens[k];
    if (!t || (t.kind !== 'word' && t.kind !== 'string' && t.kind !== 'number')) return fail('expected a value');
    k++;
    if (t.kind === 'number') return Number(t.text);
    if (t.kind === 'word' && (t.text === 'true' || t.text === 'false')) return t.text === 'true';
    return t.text;
  };
  const unary = (): RowPredicate => {
    if (peekWord('not')) {
      k++;
      return { op: 'not', arg: unary() };
    }
    const t = tokens[k];
    if (t?.kind === 'paren' && t.text === '(') {
      k++;
      const inner = orExpr();
      if (tokens[k]?.text !== ')') fail('expected ")"');
      k++;
      return inner;
    }
    if (!t || (t.kind !== 'word' && t.kind !== 'string')) return fail('expected an obs column name');
    k++;
    const column = t.text;
    const op = tokens[k];
    if (op?.kind === 'op') {
      k++;
      const name = comparison[op.text]!;
      const v = value();
      if (name === 'eq' || name === 'ne') return { op: name, column, value: v };
      if (typeof v !== 'number') return fail(`"${op.text}" needs a number`);
      return { op: name, column, value: v };
    }
    if (peekWord('in')) {
      k++;
      if (tokens[k]?.text !== '(') fail('expected "(" after "in"');
      k++;
      const values = [value()];
      while (tokens[k]?.kind === 'comma') {
        k++;
        values.push(value());
      }
      if (tokens[k]?.text !== ')') fail('expected ")"');
      k++;
      return { op: 'in', column, values };
    }
    if (peekWord('is')) {
      k++;
      const negate = peekWord('not');
      if (negate) k++;
      if (!peekWord('null')) fail('expected "null"');
      k++;
      const isnull: RowPredicate = { op: 'isnull', column };
      return negate ? { op: 'not', arg: isnull } : isnull;
    }
    return fail('expected a comparison (==, !=, <, <=, >, >=, in, is null)');
  };
  const andExpr = (): RowPredicate => {
    const args = [unary()];
    while (peekWord('and')) {
      k++;
      args.push(unary());
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  };
  const orExpr = (): RowPredicate => {
    const args = [andExpr()];
    while (peekWord('or')) {
      k++;
      args.push(andExpr());
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  };
  if (tokens.length === 0) throw new PredicateError('the predicate is empty');
  const result = orExpr();
  if (k < tokens.length) fail('unexpected text');
  return result;
}
