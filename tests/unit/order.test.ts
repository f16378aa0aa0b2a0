import {
  createOrderRequestSchema,
  listOrdersQuerySchema,
  orderIdFor,
  orderIdSchema,
  requestHash,
  toPublicOrder,
} from '../../src/layers/shared/src/domain/order';
import { parseOrThrow } from '../../src/layers/shared/src/domain/validation';
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

function issuesOf(
  input: unknown,
  schema: Parameters<typeof parseOrThrow>[0] = createOrderRequestSchema,
) {
  try {
    parseOrThrow(schema, input);
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

  it('rejects an empty order and fractional quantities, in words', () => {
    expect(issuesOf({ ...validRequest, items: [] })).toEqual([
      { field: 'items', message: 'must have at least 1 entry' },
    ]);
    expect(issuesOf({ ...validRequest, items: [{ sku: 'A', quantity: 1.5 }] })).toEqual([
      { field: 'items.0.quantity', message: 'must be a whole number' },
    ]);
    expect(issuesOf({ ...validRequest, items: [{ sku: 'A', quantity: '2' }] })).toEqual([
      { field: 'items.0.quantity', message: 'must be a number' },
    ]);
  });

  it('says a missing field is required, and a null one of the wrong type', () => {
    const { city: _city, ...withoutCity } = validRequest.shippingAddress;
    expect(issuesOf({ ...validRequest, shippingAddress: withoutCity })).toEqual([
      { field: 'shippingAddress.city', message: 'is required' },
    ]);
    expect(issuesOf({ ...validRequest, items: [{ sku: 'A', quantity: null }] })).toEqual([
      { field: 'items.0.quantity', message: 'must be a number' },
    ]);
  });

  it('names an unknown property by its own path, at any depth', () => {
    expect(issuesOf({ ...validRequest, customerId: 'mallory' })).toEqual([
      { field: 'customerId', message: 'is not allowed' },
    ]);
    const address = { ...validRequest.shippingAddress, zip: '1', state: 'x' };
    expect(issuesOf({ ...validRequest, shippingAddress: address })).toEqual([
      { field: 'shippingAddress.zip', message: 'is not allowed' },
      { field: 'shippingAddress.state', message: 'is not allowed' },
    ]);
    expect(issuesOf({ ...validRequest, items: [{ sku: 'A', quantity: 1, price: 0 }] })).toEqual([
      { field: 'items.0.price', message: 'is not allowed' },
    ]);
  });

  it('rejects control characters and line separators in the address', () => {
    for (const bad of ['Ada\u0000X', 'Ada\nLovelace', 'Ada\u007fX', 'Ada\u2028X', 'Ada\u0085X']) {
      const address = { ...validRequest.shippingAddress, name: bad };
      expect(issuesOf({ ...validRequest, shippingAddress: address })).toEqual([
        { field: 'shippingAddress.name', message: 'must not contain control characters' },
      ]);
    }
  });

  it('rejects invisible formatting characters and lone surrogates, not joiners', () => {
    const issuesOfName = (name: string) =>
      issuesOf({ ...validRequest, shippingAddress: { ...validRequest.shippingAddress, name } });
    for (const bad of ['\u200b\ufeff', 'Ada\u202eX', 'Ada\u2066X', 'Ada\u200bX']) {
      expect(issuesOfName(bad)).toEqual([
        {
          field: 'shippingAddress.name',
          message:
            'must not contain invisible formatting characters (zero-width spaces, direction overrides)',
        },
      ]);
    }
    expect(issuesOfName('Ada\ud800')).toEqual([
      { field: 'shippingAddress.name', message: 'must be valid Unicode text' },
    ]);
    // A Persian name with a zero-width non-joiner, an emoji family with joiners, a surrogate pair.
    for (const good of [
      '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645',
      '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}',
      'Ada \u{1F600}',
    ]) {
      const address = { ...validRequest.shippingAddress, name: good };
      const order = parseOrThrow(createOrderRequestSchema, {
        ...validRequest,
        shippingAddress: address,
      });
      expect(order.shippingAddress.name).toBe(good);
    }
  });

  it('takes only assigned ISO 3166-1 alpha-2 country codes', () => {
    const withCountry = (country: unknown) => ({
      ...validRequest,
      shippingAddress: { ...validRequest.shippingAddress, country },
    });
    for (const good of ['GB', 'DE', 'JP', 'BR', 'ZA']) {
      expect(
        parseOrThrow(createOrderRequestSchema, withCountry(good)).shippingAddress.country,
      ).toBe(good);
    }
    for (const bad of ['XX', 'ZZ', 'EU', 'UK', 'gb', 'GBR', '', 42]) {
      expect(issuesOf(withCountry(bad)).map((i) => i.field)).toEqual(['shippingAddress.country']);
    }
  });

  it('trims address text and refuses what is only blank', () => {
    const address = { ...validRequest.shippingAddress, city: '  London  ', line1: '   ' };
    expect(issuesOf({ ...validRequest, shippingAddress: address })).toEqual([
      { field: 'shippingAddress.line1', message: 'is required' },
    ]);
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
    expect(issuesOf(null)).toEqual([{ field: '(root)', message: 'must be an object' }]);
  });
});

describe('orderIdSchema', () => {
  it('takes the two kinds of order id and nothing else', async () => {
    expect(parseOrThrow(orderIdSchema, await orderIdFor('alice'))).toBeDefined();
    expect(parseOrThrow(orderIdSchema, await orderIdFor('alice', 'key'))).toBeDefined();
    for (const bad of [
      'x'.repeat(2043),
      'not-an-id',
      '',
      'ORDER#1',
      (await orderIdFor('a')).toUpperCase(),
    ]) {
      expect(issuesOf(bad, orderIdSchema)).toEqual([
        { field: '(root)', message: 'must be an order id' },
      ]);
    }
  });
});

describe('listOrdersQuerySchema', () => {
  it('takes a limit from 1 to 100 and a cursor', () => {
    expect(parseOrThrow(listOrdersQuerySchema, { limit: '100', cursor: 'abc' })).toEqual({
      limit: '100',
      cursor: 'abc',
    });
    for (const limit of ['0', '101', '1.5', '-1', 'ten', '007', '']) {
      expect(issuesOf({ limit }, listOrdersQuerySchema).map((i) => i.field)).toEqual(['limit']);
    }
    expect(issuesOf({ cursor: '' }, listOrdersQuerySchema).map((i) => i.field)).toEqual(['cursor']);
    expect(issuesOf({ sort: 'asc' }, listOrdersQuerySchema)).toEqual([
      { field: 'sort', message: 'is not allowed' },
    ]);
  });
});

describe('orderIdFor', () => {
  it('derives the same id from the same customer and key', async () => {
    expect(await orderIdFor('alice', 'key-1')).toBe(await orderIdFor('alice', 'key-1'));
  });

  it('derives different ids for other customers or keys', async () => {
    const id = await orderIdFor('alice', 'key-1');
    expect(await orderIdFor('bob', 'key-1')).not.toBe(id);
    expect(await orderIdFor('alice', 'key-2')).not.toBe(id);
  });

  it('lays ids out as UUIDs, random without a key', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(await orderIdFor('alice', 'key-1')).toMatch(uuid);
    expect(await orderIdFor('alice')).toMatch(uuid);
    expect(await orderIdFor('alice')).not.toBe(await orderIdFor('alice'));
  });
});

describe('requestHash', () => {
  it('ignores the order of keys', async () => {
    const reordered = {
      shippingAddress: { ...validRequest.shippingAddress },
      items: validRequest.items.map(({ quantity, sku }) => ({ quantity, sku })),
    };
    expect(await requestHash(reordered)).toBe(await requestHash(validRequest));
  });

  it('changes with the content', async () => {
    const other = { ...validRequest, items: [{ sku: 'WIDGET-1', quantity: 3 }] };
    expect(await requestHash(other)).not.toBe(await requestHash(validRequest));
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
      executionName: 'o-1',
      failureReason: 'internal detail',
      reservation: { state: 'HELD', lines: [{ sku: 'WIDGET-1', quantity: 2, shard: 0 }] },
    });
    expect(view).not.toHaveProperty('customerId');
    expect(view).not.toHaveProperty('requestHash');
    expect(view).not.toHaveProperty('failureReason');
    expect(view).not.toHaveProperty('reservation');
    expect(view).not.toHaveProperty('executionName');
    expect(view.orderId).toBe('o-1');
  });
});
