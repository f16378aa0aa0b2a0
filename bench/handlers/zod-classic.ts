import { z } from 'zod';
import { getOrderItem } from './floor';
import { CONTROL, COUNTRIES, SKU, uniqueSkus, type ValidationEvent } from './order-rules';

/** The floor plus the same order schema in classic zod (`import { z } from 'zod'`). */
const addressText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'is required')
    .max(max)
    .refine((text) => !CONTROL.test(text), 'must not contain control characters');

const createOrderRequestSchema = z.strictObject({
  items: z
    .array(
      z.strictObject({
        sku: z.string().regex(SKU, 'must be 1-32 upper-case letters, digits or dashes'),
        quantity: z.number().int().min(1).max(100),
      }),
    )
    .min(1)
    .max(25)
    .refine(uniqueSkus, 'must not list the same sku twice'),
  shippingAddress: z.strictObject({
    name: addressText(100),
    line1: addressText(200),
    city: addressText(100),
    postalCode: addressText(20),
    country: z.string().refine((code) => COUNTRIES.has(code), 'must be an ISO 3166-1 code'),
  }),
});

export const handler = async (event: ValidationEvent) => {
  const parsed = createOrderRequestSchema.safeParse(JSON.parse(event.body));
  if (!parsed.success) {
    return {
      errors: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    };
  }
  return { lines: parsed.data.items.length, order: await getOrderItem(event.orderId) };
};
