import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { parseOrThrow } from '../domain/order';
import { classifyErrors } from '../errors';
import { instrument } from './handler';
import { logger } from './observability';

/** The input every workflow task receives: the state machine passes the order id along. */
export const workflowTaskInputSchema = z.object({ orderId: z.string().min(1) });

/** Backorder's input: the order and the SKUs ProcessOrder found short. */
export const backorderInputSchema = workflowTaskInputSchema.extend({
  missingSkus: z.array(z.string()).default([]),
});

/** The failure path's input: the order and the error the Catch caught (`ResultPath: $.error`). */
export const failOrderInputSchema = workflowTaskInputSchema.extend({
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

/**
 * Wraps a Step Functions task handler: validates the input, logs with the order id, and rethrows
 * transient dependency failures as `TransientError`, the error name the workflow retries.
 */
export function taskHandler<T extends { orderId: string }, R>(
  schema: z.ZodType<T>,
  handle: (input: T, context: Context) => Promise<R>,
): (event: unknown, context: Context) => Promise<R> {
  return instrument(async (event: unknown, context: Context) => {
    const input = parseOrThrow(schema, event);
    logger.appendKeys({ orderId: input.orderId });
    try {
      return await classifyErrors(() => handle(input, context));
    } finally {
      logger.removeKeys(['orderId']);
    }
  });
}
