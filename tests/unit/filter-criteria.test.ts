import { matchesAny } from '../../local/event-sources/filter-criteria';

describe('event filter patterns', () => {
  const newOrder = {
    eventName: 'INSERT',
    dynamodb: { NewImage: { type: { S: 'ORDER' }, total: { N: '12' } } },
  };
  const pattern = { eventName: ['INSERT'], dynamodb: { NewImage: { type: { S: ['ORDER'] } } } };

  it('passes a record that matches every field of a pattern', () => {
    expect(matchesAny(newOrder, [pattern])).toBe(true);
  });

  it('drops a record that differs in any field', () => {
    expect(matchesAny({ ...newOrder, eventName: 'MODIFY' }, [pattern])).toBe(false);
    const backorder = { ...newOrder, dynamodb: { NewImage: { type: { S: 'BACKORDER' } } } };
    expect(matchesAny(backorder, [pattern])).toBe(false);
    expect(matchesAny({ eventName: 'INSERT' }, [pattern])).toBe(false);
  });

  it('passes a record that matches any one of several patterns, or when there are none', () => {
    expect(matchesAny({ eventName: 'REMOVE' }, [pattern, { eventName: ['REMOVE'] }])).toBe(true);
    expect(matchesAny({ anything: 1 }, [])).toBe(true);
  });

  it('supports prefix, anything-but, exists and numeric rules', () => {
    expect(matchesAny({ sku: 'WIDGET-1' }, [{ sku: [{ prefix: 'WID' }] }])).toBe(true);
    expect(matchesAny({ sku: 'WIDGET-1' }, [{ sku: [{ 'anything-but': ['WIDGET-1'] }] }])).toBe(
      false,
    );
    expect(matchesAny({ sku: 'A' }, [{ note: [{ exists: false }] }])).toBe(true);
    expect(matchesAny({ qty: 5 }, [{ qty: [{ numeric: ['>', 0, '<=', 5] }] }])).toBe(true);
    expect(matchesAny({ qty: 6 }, [{ qty: [{ numeric: ['>', 0, '<=', 5] }] }])).toBe(false);
  });
});
