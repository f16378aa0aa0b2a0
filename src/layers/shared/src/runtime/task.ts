import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { orderIdSchema, orderSnapshotSchema } from '../domain/order';
import { parseOrThrow, type Schema } from '../domain/validation';
import { classifyErrors } from '../errors';
import { instrument } from './handler';

// Built on first use, as the domain's schemas are (see domain/order.ts).

/** The input every workflow task receives: the state machine passes the order id along. */
export const workflowTaskInputSchema = z.lazy(() => z.object({ orderId: orderIdSchema }));

/** ProcessOrder's input: the execution's input, with the order's snapshot when it has one. */
export const processOrderInputSchema = z.lazy(() =>
  z.object({ orderId: orderIdSchema, order: z.optional(orderSnapshotSchema) }),
);

/** Backorder's input: the order and the SKUs ProcessOrder found short. */
export const backorderInputSchema = z.lazy(() =>
  z.object({ orderId: orderIdSchema, missingSkus: z._default(z.array(z.string()), []) }),
);

/** The failure path's input: the order and the error the Catch caught (`ResultPath: $.error`). */
export const failOrderInputSchema = z.lazy(() =>
  z.object({
    orderId: z.string().check(z.minLength(1)),
    error: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
  }),
);

/**
 * Wraps a Step Functions task handler: validates the input and rethrows
 * transient dependency failures as `TransientError`, the error name the workflow retries.
 */
export function taskHandler<T extends { orderId: string }, R>(
  schema: Schema<T>,
  handle: (input: T, context: Context) => Promise<R>,
): (event: unknown, context: Context) => Promise<R> {
  return instrument(async (event: unknown, context: Context) => {
    const input = parseOrThrow(schema, event);
    return classifyErrors(() => handle(input, context));
  });
}
