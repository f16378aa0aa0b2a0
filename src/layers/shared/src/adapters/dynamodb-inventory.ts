import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OrderLine } from '../domain/order';
import type { InventoryStore } from '../ports';

/** How many recent arrival ids each SKU remembers to recognise a redelivered message. */
export const ARRIVAL_MEMORY = 100;

/**
 * Inventory table: one item per SKU, `{ sku, available, sold, reservations, recentArrivals }`.
 *
 * Reservations live on the stock item itself, as `reservations.<orderId> = quantity`, so taking
 * stock and recording who took it is one conditional UpdateItem: no transactions needed, and no
 * overselling however many orders race, because `available >= :qty` is checked atomically.
 * An order with several lines reserves them one by one and gives back what it took if a later
 * line is short (compensation); every write is conditional on the reservation's presence or
 * absence, so running any step twice changes nothing the second time.
 */
export function dynamoInventoryStore(
  client: DynamoDBDocumentClient,
  tableName: string,
): InventoryStore {
  async function hasReservation(sku: string, orderId: string): Promise<boolean> {
    const { Item } = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: { sku },
        ConsistentRead: true,
        ProjectionExpression: 'reservations.#order',
        ExpressionAttributeNames: { '#order': orderId },
      }),
    );
    return Item?.reservations?.[orderId] !== undefined;
  }

  /** Runs a conditional update; false when its condition did not hold. */
  async function conditionally(command: UpdateCommand): Promise<boolean> {
    try {
      await client.send(command);
      return true;
    } catch (err: unknown) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async function releaseLine(orderId: string, sku: string): Promise<void> {
    // Reads the reserved quantity first: an update expression cannot add a map value to a number
    // and remove it in one go. The condition makes a concurrent double release harmless.
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: { sku }, ConsistentRead: true }),
    );
    const quantity = Item?.reservations?.[orderId];
    if (quantity === undefined) return;
    await conditionally(
      new UpdateCommand({
        TableName: tableName,
        Key: { sku },
        UpdateExpression: 'SET available = available + :qty REMOVE reservations.#order',
        ConditionExpression: 'reservations.#order = :qty',
        ExpressionAttributeNames: { '#order': orderId },
        ExpressionAttributeValues: { ':qty': quantity },
      }),
    );
  }

  async function available(sku: string): Promise<number> {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: { sku }, ConsistentRead: true }),
    );
    return typeof Item?.available === 'number' ? Item.available : 0;
  }

  const release: InventoryStore['release'] = async (orderId, lines) => {
    for (const { sku } of lines) await releaseLine(orderId, sku);
  };

  return {
    async reserve(orderId, lines: OrderLine[]) {
      const taken: OrderLine[] = [];
      for (const line of lines) {
        const ok = await conditionally(
          new UpdateCommand({
            TableName: tableName,
            Key: { sku: line.sku },
            UpdateExpression: 'SET available = available - :qty, reservations.#order = :qty',
            ConditionExpression: 'available >= :qty AND attribute_not_exists(reservations.#order)',
            ExpressionAttributeNames: { '#order': orderId },
            ExpressionAttributeValues: { ':qty': line.quantity },
          }),
        );
        if (ok || (await hasReservation(line.sku, orderId))) {
          taken.push(line);
          continue;
        }
        // Short on this line: give back what this order holds and report every short SKU.
        await release(orderId, taken);
        const missingSkus = [line.sku];
        for (const rest of lines.slice(lines.indexOf(line) + 1)) {
          if ((await available(rest.sku)) < rest.quantity) missingSkus.push(rest.sku);
        }
        return { reserved: false, missingSkus };
      }
      return { reserved: true };
    },

    async commit(orderId, lines) {
      for (const { sku } of lines) {
        const { Item } = await client.send(
          new GetCommand({ TableName: tableName, Key: { sku }, ConsistentRead: true }),
        );
        const quantity = Item?.reservations?.[orderId];
        if (quantity === undefined) continue; // committed already
        await conditionally(
          new UpdateCommand({
            TableName: tableName,
            Key: { sku },
            UpdateExpression:
              'SET sold = if_not_exists(sold, :zero) + :qty REMOVE reservations.#order',
            ConditionExpression: 'reservations.#order = :qty',
            ExpressionAttributeNames: { '#order': orderId },
            ExpressionAttributeValues: { ':qty': quantity, ':zero': 0 },
          }),
        );
      }
    },

    release,

    async addStock(sku, quantity, arrivalId) {
      const applied = await conditionally(
        new UpdateCommand({
          TableName: tableName,
          Key: { sku },
          UpdateExpression: [
            'SET available = if_not_exists(available, :zero) + :qty',
            'sold = if_not_exists(sold, :zero)',
            'reservations = if_not_exists(reservations, :empty)',
            'recentArrivals = list_append(if_not_exists(recentArrivals, :none), :arrival)',
          ].join(', '),
          ConditionExpression: 'NOT contains(recentArrivals, :id)',
          ExpressionAttributeValues: {
            ':zero': 0,
            ':qty': quantity,
            ':empty': {},
            ':none': [],
            ':arrival': [arrivalId],
            ':id': arrivalId,
          },
        }),
      );
      if (applied) {
        // Forget the oldest arrival ids; failing here only keeps the list a little longer.
        await conditionally(
          new UpdateCommand({
            TableName: tableName,
            Key: { sku },
            UpdateExpression: 'REMOVE recentArrivals[0]',
            ConditionExpression: 'size(recentArrivals) > :max',
            ExpressionAttributeValues: { ':max': ARRIVAL_MEMORY },
          }),
        );
      }
      return applied;
    },

    available,
  };
}
