import { iso31661Alpha2ToAlpha3 } from 'iso-3166/1-a2-to-1-a3.js';
import * as z from 'zod/mini';

export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'BACKORDERED', 'SHIPPED', 'FAILED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Where the workflow leaves an order: shipped, failed, or waiting for stock (the workflow has run
 * to its end and told the customer; a stock arrival may resume it later).
 */
export const RESTING_STATUSES: readonly OrderStatus[] = ['BACKORDERED', 'SHIPPED', 'FAILED'];
/** Statuses an order never leaves. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['SHIPPED', 'FAILED'];

// Every schema here is built on its first use (`z.lazy`), not when the layer loads: a function
// pays only for the schemas it parses with. Building them all took more of a cold start than
// loading zod itself (see the README's "Performance and cost").

export const skuSchema = z.lazy(() =>
  z
    .string()
    .check(
      z.regex(/^[A-Z0-9][A-Z0-9-]{0,31}$/, 'must be 1-32 upper-case letters, digits or dashes'),
    ),
);

export const orderLineSchema = z.lazy(() =>
  z.strictObject({
    sku: skuSchema,
    quantity: z.int().check(z.minimum(1), z.maximum(100)),
  }),
);
export type OrderLine = z.infer<typeof orderLineSchema>;

/** Control characters and line separators have no place in an address label. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
/**
 * Nor have invisible format characters (general category Cf): zero-width spaces, byte order
 * marks, and the bidirectional overrides and isolates that make a label read otherwise than it is
 * stored (https://www.unicode.org/reports/tr9/#Explicit_Directional_Overrides). The zero-width
 * non-joiner and joiner stay: Persian and Indic names and emoji sequences need them.
 */
const INVISIBLE = /(?![\u200C\u200D])\p{Cf}/u;
/** Half of a surrogate pair alone: not text, and not encodable as UTF-8. */
const LONE_SURROGATE = /\p{Cs}/u;

function addressText(max: number) {
  return z.string().check(
    z.trim(),
    z.minLength(1, 'is required'),
    z.maxLength(max),
    z.refine((text) => !CONTROL.test(text), 'must not contain control characters'),
    z.refine(
      (text) => !INVISIBLE.test(text),
      'must not contain invisible formatting characters (zero-width spaces, direction overrides)',
    ),
    z.refine((text) => !LONE_SURROGATE.test(text), 'must be valid Unicode text'),
  );
}

export const shippingAddressSchema = z.lazy(() =>
  z.strictObject({
    name: addressText(100),
    line1: addressText(200),
    city: addressText(100),
    postalCode: addressText(20),
    country: z.string().check(
      z.refine(
        // ISO 3166-1 alpha-2 codes of assigned countries, from the `iso-3166` package's list.
        (code) => Object.hasOwn(iso31661Alpha2ToAlpha3, code),
        'must be an ISO 3166-1 alpha-2 country code such as "DE"',
      ),
    ),
  }),
);
export type ShippingAddress = z.infer<typeof shippingAddressSchema>;

/** The body of `POST /orders`. */
export const createOrderRequestSchema = z.lazy(() =>
  z.strictObject({
    items: z.array(orderLineSchema).check(
      z.minLength(1),
      z.maxLength(25),
      z.refine(
        (items) => new Set(items.map((i) => i.sku)).size === items.length,
        'must not list the same sku twice',
      ),
    ),
    shippingAddress: shippingAddressSchema,
  }),
);
export type CreateOrderRequest = z.infer<typeof createOrderRequestSchema>;

/** Order ids are UUIDs: random (version 4) or derived from an Idempotency-Key (version 8). */
export const orderIdSchema = z.lazy(() =>
  z
    .string()
    .check(
      z.regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[48][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        'must be an order id',
      ),
    ),
);

export const idempotencyKeySchema = z.lazy(() =>
  z
    .string()
    .check(
      z.regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces'),
    ),
);

/** The query string of `GET /orders` (API Gateway hands every value over as a string). */
export const listOrdersQuerySchema = z.lazy(() =>
  z.strictObject({
    limit: z.optional(
      z.string().check(z.regex(/^(100|[1-9][0-9]?)$/, 'must be a whole number from 1 to 100')),
    ),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
  }),
);

/** Orders per page of `GET /orders` when the query names no limit. */
export const DEFAULT_PAGE_SIZE = 20;

export interface Shipment {
  carrier: string;
  trackingId: string;
  shippedAt: string;
}

/** The stock an order holds: taken from which stock item of each SKU (see the inventory design). */
export interface Reservation {
  /** HELD while the order is RESERVED; COMMITTED once shipped; RELEASED when given back. */
  state: 'HELD' | 'COMMITTED' | 'RELEASED';
  lines: ReservedLine[];
}

export interface ReservedLine extends OrderLine {
  /** The stock shard the units came from (0 unless the SKU's stock is split). */
  shard: number;
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
  /** How many stock shards each SKU had when the order was placed, for SKUs with more than one. */
  stockShards?: Record<string, number>;
  /** The workflow execution that drives the order now. */
  executionName: string;
  reservation?: Reservation;
  /** SKUs that were out of stock when the order was backordered. */
  missingSkus?: string[];
  shipment?: Shipment;
  failureReason?: string;
  /** How many times the reconciler had to rescue the order's workflow, and when it last did. */
  rescues?: number;
  rescuedAt?: string;
  /** Read-only, set by the repository: whether the order's workflow still has work to do. */
  inFlight?: boolean;
}

/**
 * What the workflow carries of an order, from the stream image that started it, so that its first
 * step need not read the order back: what never changes after the order is placed, and the
 * status it was in. No address: an execution's history is not the place for personal data.
 */
export type OrderSnapshot = Pick<
  Order,
  'orderId' | 'customerId' | 'status' | 'items' | 'createdAt' | 'stockShards' | 'missingSkus'
>;

export const orderSnapshotSchema = z.lazy(() =>
  z.object({
    orderId: orderIdSchema,
    customerId: z.string().check(z.minLength(1)),
    status: z.enum(ORDER_STATUSES),
    items: z.array(z.object({ sku: z.string(), quantity: z.number() })).check(z.minLength(1)),
    createdAt: z.string(),
    stockShards: z.optional(z.record(z.string(), z.number())),
    missingSkus: z.optional(z.array(z.string())),
  }),
);

/** The snapshot of a stored order (or of a stream image of one). */
export function snapshotOf(order: OrderSnapshot): OrderSnapshot {
  const { orderId, customerId, status, items, createdAt, stockShards } = order;
  return {
    orderId,
    customerId,
    status,
    items: items.map(({ sku, quantity }) => ({ sku, quantity })),
    createdAt,
    ...(stockShards ? { stockShards } : {}),
  };
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

/**
 * SHA-256 of a text, as hex. Web Crypto (`globalThis.crypto`) rather than `node:crypto`: Node.js
 * loads it on first use, so a function does not pay for it while it loads (the AWS SDK loads it
 * anyway when it signs the first request).
 */
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Buffer.from(digest).toString('hex');
}

/**
 * The order id for a request. With an Idempotency-Key the id is derived from the customer and the
 * key, so a retried request addresses the same order and a conditional write detects it; without
 * one, every request gets a fresh id.
 */
export async function orderIdFor(customerId: string, idempotencyKey?: string): Promise<string> {
  if (idempotencyKey === undefined) return crypto.randomUUID();
  const hex = await sha256(`${customerId}\n${idempotencyKey}`);
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
export function requestHash(request: CreateOrderRequest): Promise<string> {
  return sha256(
    JSON.stringify({
      items: request.items.map(({ sku, quantity }) => ({ sku, quantity })),
      shippingAddress: Object.fromEntries(Object.entries(request.shippingAddress).sort()),
    }),
  );
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
