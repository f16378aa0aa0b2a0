import { logger, requireEnv, resumeBackorders } from '@orders/shared';
import { dynamoStreamBatchHandler, newImageOf, oldImageOf } from '@orders/shared/batch';
import { dynamoDb, dynamoOrderLedger, dynamoOrderRepository } from '@orders/shared/dynamodb';

const tables = { orders: requireEnv('ORDERS_TABLE'), inventory: requireEnv('INVENTORY_TABLE') };
const deps = {
  orders: dynamoOrderRepository(dynamoDb(), tables.orders),
  ledger: dynamoOrderLedger(dynamoDb(), tables),
};

/**
 * Inventory table stream: after any increase of a SKU's available stock (an arrival, stock an
 * order gave back), resumes the orders waiting for that SKU, oldest first. Driving resumption
 * from the stream covers every cause of an increase in one place. The event source mapping's
 * filter passes stock items only; the comparison of images is here, as filters cannot compare.
 */
export const handler = dynamoStreamBatchHandler(async (record) => {
  const after = newImageOf(record);
  const before = oldImageOf(record);
  if (typeof after?.sku !== 'string') return;
  if (Number(after.available ?? 0) <= Number(before?.available ?? 0)) return;
  const resumed = await resumeBackorders(deps, after.sku);
  if (resumed.length > 0) logger.info('Backorders resumed', { sku: after.sku, orderIds: resumed });
});
