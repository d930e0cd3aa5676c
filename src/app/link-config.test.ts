import { describe, expect, it } from 'vitest';
import { linkQuery, parseLink } from './link-config.ts';

describe('links', () => {
  it('reads the store, the short keys and every option by its flag; reports unknown, repeated and invalid parameters', () => {
    const link = parseLink('?store=https://x.org/a.zarr&condition=stim&cell_type=ct&holdout=NK:stim&batch-size=64&epochs=auto&lr=abc&nope=1&genes=10&genes=20&holdout2=x');
    expect(link.store).toBe('https://x.org/a.zarr');
    expect(link.values).toEqual({ conditionKey: 'stim', cellTypeKey: 'ct', holdout: 'NK:stim', batchSize: '64', epochs: 'auto', genes: '10' });
    expect(link.problems).toEqual([
      'lr= needs a number, got "abc"',
      expect.stringContaining('unknown link parameter "nope"'),
      'genes= is given twice; "10" is used',
      expect.stringContaining('unknown link parameter "holdout2"'),
    ]);
    expect(parseLink('?holdout=NK').problems).toEqual(['holdout= needs CELLTYPE:CONDITION (both set), got "NK"']);
    expect(parseLink('?holdout=').values).toEqual({ holdout: '' });
  });

  it('writes what differs from the defaults, and reads back the same values', () => {
    const values = { conditionKey: 'condition', cellTypeKey: 'cell_type', holdout: 'CD14 Mono:stimulated', genes: '2000', hidden: '64, 32', seed: '3', lr: '0.001' };
    const query = linkQuery('demo/demo.zarr', values);
    expect(query).toBe('store=demo/demo.zarr&condition=condition&cell_type=cell_type&holdout=CD14+Mono:stimulated&hidden=64,+32&seed=3');
    const back = parseLink(`?${query}`);
    expect(back.problems).toEqual([]);
    expect(back.store).toBe('demo/demo.zarr');
    expect(back.values).toEqual({ conditionKey: 'condition', cellTypeKey: 'cell_type', holdout: 'CD14 Mono:stimulated', hidden: '64, 32', seed: '3' });
  });

  it("carries a v2 store's zarr format (so opening it probes for no zarr.json), and reports a wrong or orphaned one", () => {
    const query = linkQuery('https://x.org/v2.zarr', { conditionKey: 'condition' }, 2);
    expect(query).toBe('store=https://x.org/v2.zarr&zarr_format=2&condition=condition');
    expect(parseLink(`?${query}`)).toMatchObject({ store: 'https://x.org/v2.zarr', zarrFormat: 2, problems: [] });
    // v3 is what an unknown store is asked for first: its links need no format
    expect(linkQuery('https://x.org/v3.zarr', {}, 3)).toBe('store=https://x.org/v3.zarr');
    expect(parseLink('?store=a.zarr&zarr_format=4').problems).toEqual(['zarr_format= must be 2 or 3 (the store\'s zarr version), got "4"']);
    expect(parseLink('?store=a.zarr&zarr_format=2&zarr_format=3')).toMatchObject({ zarrFormat: 2, problems: ['zarr_format= is given twice; 2 is used'] });
    const orphan = parseLink('?zarr_format=2');
    expect(orphan.zarrFormat).toBeUndefined();
    expect(orphan.problems).toEqual(['zarr_format= describes the store= of a link, and this link has none']);
  });
});
