import { cachedCatalogue } from '@orders/shared';

describe('cachedCatalogue', () => {
  function inventory(skus: Record<string, number>) {
    const reads: string[][] = [];
    return {
      reads,
      catalogue: async (asked: string[]) => {
        reads.push(asked);
        return new Map(asked.filter((s) => s in skus).map((s) => [s, skus[s] as number]));
      },
    };
  }

  it('reads each known SKU once per period, and never remembers an unknown one', async () => {
    const source = inventory({ A: 1, B: 4 });
    let clock = 0;
    const cached = cachedCatalogue(source, 60, () => clock);

    expect(await cached.catalogue(['A', 'B', 'X'])).toEqual(
      new Map([
        ['A', 1],
        ['B', 4],
      ]),
    );
    expect(await cached.catalogue(['B', 'A', 'A'])).toEqual(
      new Map([
        ['B', 4],
        ['A', 1],
      ]),
    );
    expect(await cached.catalogue(['A', 'X'])).toEqual(new Map([['A', 1]]));
    clock = 60_001;
    await cached.catalogue(['A']);

    expect(source.reads).toEqual([['A', 'B', 'X'], ['X'], ['A']]);
  });

  it('knows a SKU added to the inventory at once', async () => {
    const skus: Record<string, number> = {};
    const source = inventory(skus);
    const cached = cachedCatalogue(source);

    expect((await cached.catalogue(['NEW'])).has('NEW')).toBe(false);
    skus.NEW = 1;
    expect((await cached.catalogue(['NEW'])).has('NEW')).toBe(true);
  });
});
