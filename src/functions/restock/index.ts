import {
  logger,
  parseOrThrow,
  receiveStock,
  requireEnv,
  stockArrivalSchema,
  ValidationError,
} from '@orders/shared';
import { sqsBatchHandler } from '@orders/shared/batch';
import { dynamoDb, dynamoInventory } from '@orders/shared/dynamodb';

const inventory = dynamoInventory(dynamoDb(), requireEnv('INVENTORY_TABLE'));

/**
 * Stock arrivals queue: adds each arrival's units, once per arrivalId. The SKU's backordered
 * orders are resumed from the inventory table's stream (resume-backorders). A message that fails
 * (a bad body, a dependency down) returns to the queue alone and, after the queue's
 * maxReceiveCount, moves to the dead-letter queue.
 */
export const handler = sqsBatchHandler(async (record) => {
  const arrival = parseOrThrow(stockArrivalSchema, parseBody(record.body));
  if (await receiveStock(inventory, arrival)) {
    logger.info('Stock arrival applied', { ...arrival });
  } else {
    logger.info('Stock arrival already applied: duplicate ignored', { ...arrival });
  }
});

/** The message body as JSON. @throws ValidationError naming `body` when it is not JSON */
function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new ValidationError([{ field: 'body', message: 'must be valid JSON' }]);
  }
}
