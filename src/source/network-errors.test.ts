// The words for failed requests and for files that are not what they should be: each names the URL
// or file, says what happened and what to do, in plain text.
import { describe, expect, it } from 'vitest';
import { describeHead, recogniseContainer } from './file-kind.ts';
import { badPorts, networkFailureError, requestBlockedError } from './network-errors.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('requests refused before they are sent', () => {
  it('names a port on the fetch standard\'s bad-port list, and says which port to use instead', () => {
    for (const url of ['http://127.0.0.1:6000/a.zarr', 'http://example.org:6667/a.zarr', 'https://example.org:10080/a.zarr']) {
      const error = requestBlockedError(url);
      expect(error).toMatchObject({ code: 'blocked-port', location: url });
      expect(error!.message).toMatch(/port \d+, which browsers refuse to connect to .*no request was sent.*npx trvae-web serve DIR --port 8080/);
    }
    expect([6000, 6665, 6669, 10080].every((p) => badPorts.has(p))).toBe(true);
    expect(requestBlockedError('http://127.0.0.1:8080/a.zarr')).toBeUndefined();
    expect(requestBlockedError('https://example.org/a.zarr')).toBeUndefined();
  });

  it('an http: store under an https: page is mixed content, except on this machine (loopback)', () => {
    expect(requestBlockedError('http://example.org/a.zarr', 'https://app.example/')).toMatchObject({
      code: 'mixed-content',
      message: expect.stringMatching(/plain http: address, and this page was loaded over https:.*Serve the store over https:/),
    });
    expect(requestBlockedError('http://127.0.0.1:8080/a.zarr', 'https://app.example/')).toBeUndefined();
    expect(requestBlockedError('http://localhost:8080/a.zarr', 'https://app.example/')).toBeUndefined();
    expect(requestBlockedError('http://example.org/a.zarr', 'http://app.example/')).toBeUndefined();
    expect(requestBlockedError('https://example.org/a.zarr', 'https://app.example/')).toBeUndefined();
  });

  it('a text that is no URL says what to type', () => {
    expect(requestBlockedError('not a url')).toMatchObject({ code: 'invalid-argument', message: expect.stringMatching(/not a valid URL.*https:\/\//) });
  });
});

describe('a request that failed without an HTTP answer', () => {
  const url = 'http://127.0.0.1:8123/atlas.zarr/zarr.json';
  const thrown = new TypeError('Failed to fetch');

  it('in a browser: the host answered a no-cors request → CORS, with the headers to send and the serve command', () => {
    const error = networkFailureError(url, thrown, { inBrowser: true, hostAnswered: true });
    expect(error).toMatchObject({ code: 'cors', location: url, cause: thrown });
    expect(error.message).toMatch(/server at 127\.0\.0\.1:8123 answered, but the browser did not let this page read .*CORS/);
    expect(error.message).toMatch(/Access-Control-Allow-Origin.*Content-Range, Content-Length.*Access-Control-Expose-Headers.*npx trvae-web serve DIR/);
  });

  it('in a browser: nothing answered → unreachable (refused, down or no such name)', () => {
    const error = networkFailureError(url, thrown, { inBrowser: true, hostAnswered: false });
    expect(error).toMatchObject({ code: 'unreachable' });
    expect(error.message).toMatch(/Could not connect to 127\.0\.0\.1:8123 .*refused or the host cannot be reached.*Check that the server is running/);
  });

  it('in a cross-origin-isolated page a failed probe proves nothing: the message says both, and what to check', () => {
    const error = networkFailureError(url, thrown, { inBrowser: true, hostAnswered: false, probeMayBeBlocked: true });
    expect(error).toMatchObject({ code: 'cors' });
    expect(error.message).toMatch(/either nothing answers at 127\.0\.0\.1:8123 .*or the server answers without the CORS headers.*cross-origin isolated.*Check that the server is running.*Access-Control-Allow-Origin.*npx trvae-web serve DIR/);
    // an answer to the probe is proof, isolated or not
    expect(networkFailureError(url, thrown, { inBrowser: true, hostAnswered: true, probeMayBeBlocked: true }).message).toMatch(/answered, but the browser did not let/);
  });

  it('in Node: the cause says which', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }) });
    expect(networkFailureError(url, refused, { inBrowser: false })).toMatchObject({ code: 'unreachable', message: expect.stringContaining('connect ECONNREFUSED 127.0.0.1:8123') });
    const noName = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' }) });
    expect(networkFailureError('https://nowhere.invalid/a.zarr', noName, { inBrowser: false })).toMatchObject({ code: 'unreachable' });
    // a connection cut mid-way is worth a retry: a server error, not an unreachable host
    const reset = new TypeError('fetch failed', { cause: new Error('other side closed') });
    expect(networkFailureError(url, reset, { inBrowser: false })).toMatchObject({ code: 'server', message: expect.stringContaining('other side closed') });
  });
});

describe('what a file turned out to be', () => {
  it('a text table, a gzip, a zip, an empty file, other bytes', () => {
    expect(describeHead(bytes('gene,cell_1,cell_2\nCD3E,1,0\n'))).toBe('a text file, like a CSV or TSV table (it begins "gene,cell_1,cell_2")');
    expect(describeHead(bytes('this is not an HDF5 file\n'))).toBe('a text file (it begins "this is not an HDF5 file")');
    expect(describeHead(new Uint8Array([0x1f, 0x8b, 8, 0]))).toMatch(/^a gzip-compressed file/);
    expect(describeHead(new Uint8Array([0x50, 0x4b, 3, 4]))).toBe('a zip archive');
    expect(describeHead(new Uint8Array())).toBe('an empty file');
    expect(describeHead(new Uint8Array([0, 1, 2, 3, 250, 251, 252, 253, 9]))).toBe('a binary file of another kind (its first bytes are 00 01 02 03 fa fb fc fd)');
  });

  it('an HDF5 file of another single-cell format is named, with the conversion', () => {
    expect(recogniseContainer(['col_attrs', 'col_graphs', 'layers', 'matrix', 'row_attrs', 'row_graphs'])).toMatch(/^a loom file.*read_loom/);
    expect(recogniseContainer(['matrix'])).toMatch(/^a 10x Genomics matrix file.*read_10x_h5/);
    expect(recogniseContainer(['data', 'indices', 'indptr'])).toMatch(/^a sparse matrix .*open the store itself/);
    expect(recogniseContainer(['_index', 'cell_type'])).toMatch(/^a table \(obs or var\)/);
    expect(recogniseContainer(['something'])).toBeUndefined();
  });

  it('a part of an AnnData store opened on its own is named, with where the store is', async () => {
    const { openSource } = await import('./index.ts');
    const { fixturesDir } = await import('../../test/fixtures/expected.ts');
    await expect(openSource(new URL('anndata/small-csr.v3.zarr/X', fixturesDir).pathname)).rejects.toMatchObject({
      code: 'encoding',
      message: expect.stringMatching(/X is not an AnnData file: its root has encoding-type 'csr_matrix', not 'anndata'\. It is a matrix \(X or a layer\) from inside an AnnData store; open the store itself, its root folder \(one level up\)\./),
    });
    await expect(openSource(new URL('anndata/small-csr.zarr/obs', fixturesDir).pathname)).rejects.toMatchObject({ message: expect.stringMatching(/It is a table \(obs or var\)/) });
  });
});
