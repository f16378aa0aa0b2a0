import {
  dynamoDb,
  dynamoInventoryStore,
  dynamoOrderRepository,
  logger,
  parseOrThrow,
  requireEnv,
  restock,
  sqsBatchHandler,
  stepFunctions,
  stepFunctionsWorkflow,
  stockArrivalSchema,
} from '@orders/shared';

const deps = {
  orders: dynamoOrderRepository(dynamoDb(), requireEnv('ORDERS_TABLE')),
  inventory: dynamoInventoryStore(dynamoDb(), requireEnv('INVENTORY_TABLE')),
  workflow: stepFunctionsWorkflow(stepFunctions(), requireEnv('STATE_MACHINE_ARN')),
};

/**
 * Stock arrivals queue: adds stock, then resumes the SKU's backordered orders oldest first.
 * A message that fails (a bad body, a dependency down) returns to the queue alone and, after
 * the queue's maxReceiveCount, moves to the dead-letter queue.
 */
export const handler = sqsBatchHandler(async (record) => {
  const arrival = parseOrThrow(stockArrivalSchema, parseBody(record.body));
  const result = await restock(deps, arrival);
  logger.info('Stock arrival processed', { ...arrival, ...result });
});

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
