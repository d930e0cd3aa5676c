import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/trvae-web.mjs', import.meta.url).pathname;

describe('trvae-web CLI', () => {
  it('prints its version and lists commands', () => {
    expect(execFileSync('node', [bin, 'version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(execFileSync('node', [bin, '--help'], { encoding: 'utf8' })).toContain('version');
  });
  it('exits 2 on an unknown command', () => {
    expect(() => execFileSync('node', [bin, 'nope'], { stdio: 'pipe' })).toThrow(/unknown command/);
  });
});
