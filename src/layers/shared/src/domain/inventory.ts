import * as z from 'zod/mini';
import { skuSchema } from './order';

/** A stock arrival as the warehouse sends it to the stock arrivals queue. */
export const stockArrivalSchema = z.lazy(() =>
  z.strictObject({
    /** The warehouse's id for this arrival; redelivering it must not add stock twice. */
    arrivalId: z
      .string()
      .check(z.regex(/^[\x21-\x7e]{1,100}$/, 'must be 1-100 printable ASCII characters')),
    sku: skuSchema,
    quantity: z.int().check(z.minimum(1), z.maximum(1_000_000)),
  }),
);
export type StockArrival = z.infer<typeof stockArrivalSchema>;

/** A SKU's stock, summed over its shards. */
export interface StockLevel {
  sku: string;
  /** Units on the shelf that no order holds. */
  available: number;
  /** Every unit that ever arrived. */
  received: number;
  /** How many stock items the SKU's stock is split over. */
  shards: number;
}
