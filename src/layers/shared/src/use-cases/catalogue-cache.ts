import type { Inventory } from '../ports';

/** At most this many SKUs are remembered; past it the cache starts again empty. */
const MAX_ENTRIES = 10_000;

/**
 * Remembers, per execution environment and for `ttlSeconds`, the SKUs an inventory knows and their
 * shard counts, so a warm CreateOrder accepts an order in one write instead of a read and a write.
 * Only known SKUs are remembered: a SKU added to the inventory is known at once. A SKU removed
 * from it is still accepted for up to `ttlSeconds`; its order then waits as a backorder, as for a
 * SKU out of stock. Shard counts only grow (`Inventory.split`), and an order placed with an older,
 * smaller count takes its stock from fewer shards, which is still correct.
 */
export function cachedCatalogue(
  inventory: Pick<Inventory, 'catalogue'>,
  ttlSeconds = 60,
  now: () => number = Date.now,
): Pick<Inventory, 'catalogue'> {
  const known = new Map<string, { shards: number; until: number }>();
  return {
    async catalogue(skus) {
      const at = now();
      const found = new Map<string, number>();
      const toRead: string[] = [];
      for (const sku of new Set(skus)) {
        const entry = known.get(sku);
        if (entry && entry.until > at) found.set(sku, entry.shards);
        else toRead.push(sku);
      }
      if (toRead.length === 0) return found;
      if (known.size > MAX_ENTRIES) known.clear();
      for (const [sku, shards] of await inventory.catalogue(toRead)) {
        found.set(sku, shards);
        known.set(sku, { shards, until: at + ttlSeconds * 1000 });
      }
      return found;
    },
  };
}
