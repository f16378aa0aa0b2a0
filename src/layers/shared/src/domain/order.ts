import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type FieldIssue, ValidationError } from '../errors';

export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'BACKORDERED', 'SHIPPED', 'FAILED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const skuSchema = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9-]{0,31}$/, 'must be 1-32 upper-case letters, digits or dashes');

export const orderLineSchema = z.strictObject({
  sku: skuSchema,
  quantity: z.number().int('must be a whole number').min(1).max(100),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const shippingAddressSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  line1: z.string().trim().min(1).max(200),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "DE"'),
});
export type ShippingAddress = z.infer<typeof shippingAddressSchema>;

/** The body of `POST /orders`. */
export const createOrderRequestSchema = z.strictObject({
  items: z
    .array(orderLineSchema)
    .min(1)
    .max(25)
    .refine((items) => new Set(items.map((i) => i.sku)).size === items.length, {
      message: 'must not list the same sku twice',
    }),
  shippingAddress: shippingAddressSchema,
});
export type CreateOrderRequest = z.infer<typeof createOrderRequestSchema>;

export interface Shipment {
  carrier: string;
  trackingId: string;
  shippedAt: string;
}

export interface Order {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  items: OrderLine[];
  shippingAddress: ShippingAddress;
  createdAt: string;
  updatedAt: string;
  /** Hash of the request that created the order, to recognise an idempotent retry. */
  requestHash: string;
  /** SKUs that were out of stock when the order was backordered. */
  missingSkus?: string[];
  shipment?: Shipment;
  failureReason?: string;
}

/** The view of an order that its customer may see. */
export function toPublicOrder(order: Order) {
  return {
    orderId: order.orderId,
    status: order.status,
    items: order.items,
    shippingAddress: order.shippingAddress,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    ...(order.missingSkus ? { missingSkus: order.missingSkus } : {}),
    ...(order.shipment ? { shipment: order.shipment } : {}),
  };
}

/** Turns zod issues into the `{ field, message }` list a 400 answer carries. */
export function toFieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
  }));
}

/** Parses with a schema, throwing a ValidationError that names every field at fault. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(toFieldIssues(result.error, prefix));
  return result.data;
}

/** The query string of `GET /orders`. */
export const listOrdersQuerySchema = z.object({
  limit: z.coerce.number().int('must be a whole number').min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces');

/**
 * The order id for a request. With an Idempotency-Key the id is derived from the customer and the
 * key, so a retried request addresses the same order and a conditional write detects it; without
 * one, every request gets a fresh id.
 */
export function orderIdFor(customerId: string, idempotencyKey?: string): string {
  if (idempotencyKey === undefined) return randomUUID();
  const hex = createHash('sha256').update(`${customerId}\n${idempotencyKey}`).digest('hex');
  // Lay the hash out as a UUID (version 8: "custom") so both kinds of id look alike.
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16) + hex.slice(18, 20),
    hex.slice(20, 32),
  ].join('-');
}

/** A stable fingerprint of a request body, independent of key order. */
export function requestHash(request: CreateOrderRequest): string {
  const canonical = JSON.stringify({
    items: request.items.map(({ sku, quantity }) => ({ sku, quantity })),
    shippingAddress: Object.fromEntries(Object.entries(request.shippingAddress).sort()),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** What the customer is told, published to the order events topic. */
export interface OrderNotification {
  type: 'ORDER_SHIPPED' | 'ORDER_BACKORDERED' | 'ORDER_FAILED';
  orderId: string;
  customerId?: string;
  status: OrderStatus;
  message: string;
  trackingId?: string;
  missingSkus?: string[];
}
