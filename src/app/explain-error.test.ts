// The page's error text: plain words (no markdown), and the typed errors' own messages, which
// name the place and what to change.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../source/errors.ts';
import { explainOpenError, plainText } from './explain-error.ts';

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts') && !path.includes('.test.') && !path.includes('.testkit.')) yield path;
  }
}

/** String literals and template text holding a backtick, as file:line "text". */
function backticksIn(path: string): string[] {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const text = ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateLiteralToken(node) ? node.text : undefined;
    if (text?.includes('`')) found.push(`${path}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${JSON.stringify(text)}`);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('messages shown on the page', () => {
  it('no text in the app or the readers (whose errors the page shows) carries markdown backticks', () => {
    const root = join(import.meta.dirname, '..');
    const found = ['app', 'source', 'rpc'].flatMap((dir) => [...sourceFiles(join(root, dir))].flatMap(backticksIn));
    expect(found).toEqual([]);
  });

  it('a source error is shown as it is; a cancel is "Cancelled."; anything else is prefixed and plain', () => {
    const cors = new SourceError('cors', 'https://h/a.zarr', 'The server at h answered, but the browser did not let this page read https://h/a.zarr (a CORS refusal).');
    expect(explainOpenError(cors)).toBe(cors.message);
    expect(explainOpenError(new SourceError('aborted', 'x', 'reading x was aborted'))).toBe('Cancelled.');
    expect(explainOpenError(new DOMException('stop', 'AbortError'))).toBe('Cancelled.');
    expect(explainOpenError(new Error('the `worker` failed.'))).toBe('Could not open the dataset: the worker failed.');
    expect(explainOpenError('boom')).toBe('Could not open the dataset: boom.');
    expect(plainText('run `npx trvae-web serve DIR` and a stray ` mark')).toBe('run npx trvae-web serve DIR and a stray  mark');
  });
});
