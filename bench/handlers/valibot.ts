import * as v from 'valibot';
import { getOrderItem } from './floor';
import { CONTROL, COUNTRIES, SKU, uniqueSkus, type ValidationEvent } from './order-rules';

/** The floor plus the same order schema in valibot (a Standard Schema library, tree-shakable). */
const addressText = (max: number) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, 'is required'),
    v.maxLength(max),
    v.check((text) => !CONTROL.test(text), 'must not contain control characters'),
  );

const createOrderRequestSchema = v.strictObject({
  items: v.pipe(
    v.array(
      v.strictObject({
        sku: v.pipe(v.string(), v.regex(SKU, 'must be 1-32 upper-case letters, digits or dashes')),
        quantity: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)),
      }),
    ),
    v.minLength(1),
    v.maxLength(25),
    v.check((items) => uniqueSkus(items), 'must not list the same sku twice'),
  ),
  shippingAddress: v.strictObject({
    name: addressText(100),
    line1: addressText(200),
    city: addressText(100),
    postalCode: addressText(20),
    country: v.pipe(
      v.string(),
      v.check((code) => COUNTRIES.has(code), 'must be an ISO 3166-1 code'),
    ),
  }),
});

export const handler = async (event: ValidationEvent) => {
  const parsed = v.safeParse(createOrderRequestSchema, JSON.parse(event.body));
  if (!parsed.success) {
    return {
      errors: parsed.issues.map((i) => ({
        field: (i.path ?? []).map((p) => String(p.key)).join('.'),
        message: i.message,
      })),
    };
  }
  return { lines: parsed.output.items.length, order: await getOrderItem(event.orderId) };
};
