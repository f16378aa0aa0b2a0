import { z } from 'zod';
import { skuSchema } from './order';

/** A stock arrival as the warehouse sends it to the restock queue. */
export const stockArrivalSchema = z.strictObject({
  /** The warehouse's id for this arrival; redelivering it must not add stock twice. */
  arrivalId: z.string().min(1).max(100),
  sku: skuSchema,
  quantity: z.number().int('must be a whole number').min(1).max(1_000_000),
});
export type StockArrival = z.infer<typeof stockArrivalSchema>;

/** The outcome of trying to reserve every line of an order. */
export type ReservationResult = { reserved: true } | { reserved: false; missingSkus: string[] };
