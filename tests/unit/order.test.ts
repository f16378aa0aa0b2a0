import {
  createOrderRequestSchema,
  orderIdFor,
  parseOrThrow,
  requestHash,
  toPublicOrder,
} from '../../src/layers/shared/src/domain/order';
import { ValidationError } from '../../src/layers/shared/src/errors';

const validRequest = {
  items: [
    { sku: 'WIDGET-1', quantity: 2 },
    { sku: 'GADGET-7', quantity: 1 },
  ],
  shippingAddress: {
    name: 'Ada Lovelace',
    line1: '12 Analytical Row',
    city: 'London',
    postalCode: 'N1 9GU',
    country: 'GB',
  },
};

function issuesOf(input: unknown) {
  try {
    parseOrThrow(createOrderRequestSchema, input);
  } catch (err: unknown) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('createOrderRequestSchema', () => {
  it('accepts a valid order', () => {
    expect(parseOrThrow(createOrderRequestSchema, validRequest)).toEqual(validRequest);
  });

  it('names every field at fault', () => {
    const issues = issuesOf({
      items: [{ sku: 'bad sku', quantity: 0 }, { sku: 'OK-1' }],
      shippingAddress: { ...validRequest.shippingAddress, country: 'Germany' },
    });
    expect(issues.map((i) => i.field).sort()).toEqual([
      'items.0.quantity',
      'items.0.sku',
      'items.1.quantity',
      'shippingAddress.country',
    ]);
  });

  it('rejects an empty order, fractional quantities and unknown fields', () => {
    expect(issuesOf({ ...validRequest, items: [] }).map((i) => i.field)).toEqual(['items']);
    expect(
      issuesOf({ ...validRequest, items: [{ sku: 'A', quantity: 1.5 }] }).map((i) => i.field),
    ).toEqual(['items.0.quantity']);
    expect(issuesOf({ ...validRequest, customerId: 'mallory' })[0]?.message).toMatch(/customerId/);
  });

  it('rejects the same sku twice', () => {
    const issues = issuesOf({
      ...validRequest,
      items: [
        { sku: 'A', quantity: 1 },
        { sku: 'A', quantity: 2 },
      ],
    });
    expect(issues).toEqual([{ field: 'items', message: 'must not list the same sku twice' }]);
  });

  it('reports a missing body as the root', () => {
    expect(issuesOf(null)[0]?.field).toBe('(root)');
  });
});

describe('orderIdFor', () => {
  it('derives the same id from the same customer and key', () => {
    expect(orderIdFor('alice', 'key-1')).toBe(orderIdFor('alice', 'key-1'));
  });

  it('derives different ids for other customers or keys', () => {
    const id = orderIdFor('alice', 'key-1');
    expect(orderIdFor('bob', 'key-1')).not.toBe(id);
    expect(orderIdFor('alice', 'key-2')).not.toBe(id);
  });

  it('lays ids out as UUIDs, random without a key', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(orderIdFor('alice', 'key-1')).toMatch(uuid);
    expect(orderIdFor('alice')).toMatch(uuid);
    expect(orderIdFor('alice')).not.toBe(orderIdFor('alice'));
  });
});

describe('requestHash', () => {
  it('ignores the order of keys', () => {
    const reordered = {
      shippingAddress: { ...validRequest.shippingAddress },
      items: validRequest.items.map(({ quantity, sku }) => ({ quantity, sku })),
    };
    expect(requestHash(reordered)).toBe(requestHash(validRequest));
  });

  it('changes with the content', () => {
    const other = { ...validRequest, items: [{ sku: 'WIDGET-1', quantity: 3 }] };
    expect(requestHash(other)).not.toBe(requestHash(validRequest));
  });
});

describe('toPublicOrder', () => {
  it('leaves out the internal fields', () => {
    const view = toPublicOrder({
      ...validRequest,
      orderId: 'o-1',
      customerId: 'alice',
      status: 'PENDING',
      createdAt: '2026-11-27T10:00:00.000Z',
      updatedAt: '2026-11-27T10:00:00.000Z',
      requestHash: 'abc',
      failureReason: 'internal detail',
    });
    expect(view).not.toHaveProperty('customerId');
    expect(view).not.toHaveProperty('requestHash');
    expect(view).not.toHaveProperty('failureReason');
    expect(view.orderId).toBe('o-1');
  });
});
