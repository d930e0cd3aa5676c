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
});
