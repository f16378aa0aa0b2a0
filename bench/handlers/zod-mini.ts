import { createOrderRequestSchema } from '../../src/layers/shared/src/domain/order';
import { parseOrThrow } from '../../src/layers/shared/src/domain/validation';
import { getOrderItem } from './floor';
import type { ValidationEvent } from './order-rules';

/** The floor plus the order schema as the project has it: zod/mini, issues named by field. */
export const handler = async (event: ValidationEvent) => {
  const request = parseOrThrow(createOrderRequestSchema, JSON.parse(event.body));
  return { lines: request.items.length, order: await getOrderItem(event.orderId) };
};
