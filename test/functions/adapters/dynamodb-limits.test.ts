/**
 * DynamoDB's size rules and transaction checks. Every expected value below is what DynamoDB Local
 * answered when asked (a transaction of 11 items of 400,000 bytes plus the item under test, whose
 * refusal names the payload size: the item's share is that size minus 4,400,000), or worked out by
 * hand from the rules in `dynamodb-limits.ts`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TransactAction } from '../../../functions/adapters/dynamodb-limits';
import {
  actionPayload,
  itemSize,
  limitOfMessage,
  numberSize,
  parseUpdate,
  resultingItem,
  transactionViolation,
  valueSize,
} from '../../../functions/adapters/dynamodb-limits';

describe('sizes', () => {
  it('sizes numbers by pairs of digits aligned on the decimal point (as DynamoDB Local does)', () => {
    const measured: Array<[string, number]> = [
      ['0', 1],
      ['1', 2],
      ['12', 2],
      ['100', 2], // 1|00: one significant pair
      ['1000000', 2],
      ['123', 3], // 1|23
      ['1234', 3], // 12|34
      ['12345', 4],
      ['1.5', 3], // 01|.50
      ['0.5', 2], // .50
      ['1.25', 3],
      ['10.5', 3], // 10|.50
      ['100.5', 4], // 01|00|.50
      ['0.001', 2], // .00|10
      ['0.0012300', 3], // .00|12|30
      ['1700000000000', 3], // 01|70|00|00|00|00|00
      ['1790000000123', 8],
      ['12345678901', 7],
      ['1E+10', 2],
      ['-1', 3], // negative: one more byte
      ['-0.5', 3],
      ['-123', 4],
      ['-12345678901234567890', 12],
      ['12345678901234567890123456789012345678', 20], // 38 digits, 19 pairs
      ['-12345678901234567890123456789012345678', 21],
      ['-1.2345678901234567890123456789012345678', 21], // 20 pairs: no extra byte for the sign
      ['9.9999999999999999999999999999999999999e125', 20],
      ['-5e-130', 3],
    ];
    expect(measured.map(([n]) => [n, numberSize(n)])).toEqual(measured);
    expect(numberSize(1_790_000_000_123)).toBe(8); // a JS number is sized from String(n)
    expect(numberSize(1.5e-7)).toBe(numberSize('0.00000015'));
  });

  it('sizes a JS integer (its own shortcut) as its decimal text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.integer({ min: -9, max: 9 }).map((n) => n * 10 ** 12)), (n) => {
        expect(numberSize(n)).toBe(numberSize(String(n)));
      }),
    );
    expect([numberSize(0), numberSize(-1), numberSize(100), numberSize(-1_700_000_000_000)]).toEqual([1, 3, 2, 4]);
  });

  it('sizes strings in UTF-8 bytes, booleans and null as 1, lists and maps as 3 + 1 per element + elements', () => {
    expect([valueSize(''), valueSize('x'), valueSize('é'), valueSize(true), valueSize(null)]).toEqual([0, 1, 2, 1, 1]);
    // 1, 2, 3 and 4 bytes a character: x, é, €, 😀 (a surrogate pair), short and long strings alike
    expect([valueSize('xé€😀'), valueSize('xé€😀'.repeat(10))]).toEqual([10, 100]);
    expect(valueSize({})).toBe(3);
    expect(valueSize([])).toBe(3);
    expect(valueSize({ a: 'x' })).toBe(6); // 3 + 1 + 1 (a) + 1 (x)
    expect(valueSize({ a: 'x', bb: 'yy' })).toBe(11); // 3 + (1+1+1) + (1+2+2)
    expect(valueSize(['x'])).toBe(5); // 3 + 1 + 1
    expect(valueSize(['x', 'yy'])).toBe(8);
    expect(valueSize([{}])).toBe(7);
    expect(valueSize({ a: { b: 'x' } })).toBe(11); // 3 + 1 + 1 + (3 + 1 + 1 + 1)
    expect(valueSize({ a: 'x', gone: undefined })).toBe(6); // the document client drops undefined
    expect(() => valueSize(new Set(['x']))).toThrow(TypeError);
  });

  it('sizes an item as its attribute names plus values', () => {
    // (2+1) + (2+2) + (1+4)
    expect(itemSize({ pk: 'p', sk: 'ab', n: 12345 })).toBe(12);
    // 5 + map: 3 + (1+4+3) + (1+3+2): a nested name counts like a top-level one
    expect(itemSize({ state: { name: 'big', ver: 12 } })).toBe(22);
  });
});

const put = (Item: Record<string, unknown>, extra: Partial<{ ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> }> = {}): TransactAction => ({
  Put: { Item, ...extra },
});
/** An item of exactly `bytes` bytes: pk 'p' (3) + sk (2 + its length) + data (4 + the rest). */
const sized = (sk: string, bytes: number) => ({ pk: 'p', sk, data: 'x'.repeat(bytes - 3 - (2 + sk.length) - 4) });

describe('transaction payload', () => {
  it('counts an item, its condition and every #name and :value the expressions mention, once per mention', () => {
    const key = { pk: 'p', sk: 'ab' }; // 7 bytes
    expect(actionPayload(put(key))).toBe(7);
    expect(actionPayload(put(key, { ConditionExpression: 'attribute_not_exists(pk)' }))).toBe(31); // 7 + 24
    expect(
      actionPayload(put(key, { ConditionExpression: 'attribute_not_exists(#pk) AND attribute_not_exists(#sk)', ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' } })),
    ).toBe(66); // 7 + 55 + 2 + 2
    expect(actionPayload(put(key, { ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'v' }, ExpressionAttributeValues: { ':v': 12345 } }))).toBe(19); // 7 + 7 + 1 + 4
    const update = (UpdateExpression: string, names: Record<string, string>, values: Record<string, unknown>, ConditionExpression?: string): TransactAction => ({
      Update: { Key: key, UpdateExpression, ExpressionAttributeNames: names, ExpressionAttributeValues: values, ...(ConditionExpression ? { ConditionExpression } : {}) },
    });
    expect(actionPayload(update('SET #a = :v', { '#a': 'a' }, { ':v': 'v' }))).toBe(20); // 7 + 11 + 1 + 1
    expect(actionPayload(update('SET #aaaa = :vvvv', { '#aaaa': 'a' }, { ':vvvv': 'v' }))).toBe(26); // placeholders count in the text only
    expect(actionPayload(update('SET #a = :v, #b = #a', { '#a': 'a', '#b': 'b' }, { ':v': 'v' }))).toBe(31); // 'a' twice
    expect(actionPayload(update('SET #a = :v', { '#a': 'a' }, { ':v': 'v' }, 'attribute_exists(#a)'))).toBe(41); // 20 + 20 + 1
    expect(actionPayload(update('SET #a = :v', { '#a': 'a' }, { ':v': { b: 'x' } }))).toBe(25); // 7 + 11 + 1 + 6
  });
});

describe('transactionViolation (DynamoDB Local: the first refusal, in this order)', () => {
  it('accepts 100 actions and refuses 101 before looking at sizes', () => {
    expect(transactionViolation(Array.from({ length: 100 }, (_, i) => put({ pk: 'p', sk: `a${i}` })))).toBeUndefined();
    const tooMany = [put(sized('q', 500_000)), ...Array.from({ length: 100 }, (_, i) => put({ pk: 'p', sk: `b${i}` }))];
    expect(transactionViolation(tooMany)).toEqual({ limit: 'TransactionItems', message: 'Member must have length less than or equal to 100', index: 100 });
  });

  it('takes an item of 409,600 bytes and refuses 409,601', () => {
    expect(transactionViolation([put(sized('c1', 409_600))])).toBeUndefined();
    expect(transactionViolation([put({ pk: 'p', sk: 'c3' }), put(sized('c4', 409_601))])).toEqual({
      limit: 'ItemSize',
      message: 'Item size has exceeded the maximum allowed size',
      index: 1,
    });
  });

  it('takes 4,194,304 bytes and refuses 4,194,305, naming the running total where it went over', () => {
    const tenBig = (p: string) => Array.from({ length: 10 }, (_, i) => put(sized(`${p}${i}`, 400_000)));
    expect(transactionViolation([...tenBig('f'), put(sized('f10', 194_304))])).toBeUndefined();
    expect(transactionViolation([...tenBig('g'), put(sized('g10', 194_305))])).toEqual({
      limit: 'TransactionSize',
      message: 'Transaction payload size cannot exceed 4MB. Payload Size: 4194305',
      index: 10,
    });
    // Eleven of 400,000 and something after: the total where it first went over, not the whole.
    expect(transactionViolation([...tenBig('h'), put(sized('h10', 400_000)), put({ pk: 'p', sk: 'later' })])?.message).toBe(
      'Transaction payload size cannot exceed 4MB. Payload Size: 4400000',
    );
  });

  it('checks each action in turn: its size, then the running total', () => {
    const elevenBig = Array.from({ length: 11 }, (_, i) => put(sized(`d${i}`, 400_000)));
    expect(transactionViolation([put(sized('q', 500_000)), ...elevenBig])?.limit).toBe('ItemSize');
    expect(transactionViolation([...elevenBig, put(sized('q', 500_000))])?.limit).toBe('TransactionSize');
    expect(transactionViolation([...elevenBig.slice(0, 10), put(sized('q', 500_000))])?.limit).toBe('ItemSize');
  });

  it('refuses an update whose SET values (name + value each) are over 400 KB before it runs', () => {
    const update = (values: Record<string, string>): TransactAction => ({
      Update: {
        Key: { pk: 'p', sk: 'k' },
        UpdateExpression: `SET ${Object.keys(values).map((name) => `#${name} = :${name}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(Object.keys(values).map((name) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries(Object.entries(values).map(([name, value]) => [`:${name}`, value])),
      },
    });
    expect(transactionViolation([update({ a: 'z'.repeat(409_599) })])).toBeUndefined(); // 1 + 409,599
    expect(transactionViolation([update({ a: 'z'.repeat(409_600) })])).toEqual({
      limit: 'ItemSize',
      message: 'Item size to update has exceeded the maximum allowed size',
      index: 0,
    });
    expect(transactionViolation([update({ aaaa: 'z'.repeat(409_597) })])?.limit).toBe('ItemSize'); // 4 + 409,597
    expect(transactionViolation([update({ a: 'z'.repeat(409_500), b: 'w'.repeat(100) })])?.limit).toBe('ItemSize'); // 409,602
  });
});

describe('updates', () => {
  const electrodbPatch = {
    Key: { pk: '$blox#environment_e', sk: '$revision_1#revision_000000000003' },
    UpdateExpression: 'SET #status = :status_u0, #desired = :desired_u0 REMOVE #statusReason, #health',
    ExpressionAttributeNames: { '#pk': 'pk', '#status': 'status', '#desired': 'desired', '#statusReason': 'statusReason', '#health': 'health' },
    ExpressionAttributeValues: { ':status_u0': 'Active', ':desired_u0': 1 },
  };

  it('reads the SET and REMOVE form electrodb writes, and refuses any other', () => {
    expect(parseUpdate(electrodbPatch)).toEqual({
      set: [
        { name: 'status', value: 'Active' },
        { name: 'desired', value: 1 },
      ],
      remove: ['statusReason', 'health'],
    });
    expect(() => parseUpdate({ ...electrodbPatch, UpdateExpression: 'ADD #desired :desired_u0' })).toThrow(TypeError);
    expect(() => parseUpdate({ ...electrodbPatch, UpdateExpression: 'SET #desired = #desired + :desired_u0' })).toThrow(TypeError);
  });

  it('builds the item an update leaves', () => {
    const stored = { pk: electrodbPatch.Key.pk, sk: electrodbPatch.Key.sk, status: 'Deploying', desired: 0, statusReason: 'slow', spec: { a: 1 } };
    expect(resultingItem(stored, electrodbPatch)).toEqual({ ...electrodbPatch.Key, status: 'Active', desired: 1, spec: { a: 1 } });
    expect(stored.status).toBe('Deploying'); // not modified
    expect(resultingItem(undefined, electrodbPatch)).toEqual({ ...electrodbPatch.Key, status: 'Active', desired: 1 });
  });
});

describe('limitOfMessage', () => {
  it("recognises DynamoDB Local's and DynamoDB's words for each limit, and nothing else", () => {
    expect(limitOfMessage('Member must have length less than or equal to 100')).toBe('TransactionItems');
    expect(
      limitOfMessage("1 validation error detected: Value '[…]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"),
    ).toBe('TransactionItems');
    expect(limitOfMessage('Item size has exceeded the maximum allowed size')).toBe('ItemSize');
    expect(limitOfMessage('Item size to update has exceeded the maximum allowed size')).toBe('ItemSize');
    expect(limitOfMessage('Transaction payload size cannot exceed 4MB. Payload Size: 4400000')).toBe('TransactionSize');
    expect(limitOfMessage('Transaction request cannot be larger than 4 MB')).toBe('TransactionSize');
    expect(limitOfMessage('One or more parameter values were invalid: Missing the key pk in the item')).toBeUndefined();
  });
});
