/**
 * DynamoDB's limits on a transactional write, as DynamoDB itself counts them — pure, no SDK: the
 * DynamoDB adapter leaves the enforcement to DynamoDB and maps its refusals, the in-memory event log
 * checks its writes here, so both refuse the same appends with the same message.
 *
 * Sizes ("Item sizes and formats" in the DynamoDB developer guide, checked byte for byte against
 * DynamoDB Local):
 * - an item is the sum of its attributes; an attribute is its name's UTF-8 bytes plus its value;
 * - a string is its UTF-8 bytes; a boolean or null 1 byte; a binary its raw bytes;
 * - a number is 1 byte plus 1 byte per pair of digits, pairs aligned on the decimal point, from the
 *   first non-zero pair to the last (`12345` → 1|23|45 → 4 bytes, `1.5` → 01|.50 → 3, `100` → 2,
 *   `0` → 1), plus 1 byte for a negative number of fewer than 20 pairs;
 * - a list or map is 3 bytes plus, per element, 1 byte and the element (a map element's name counts).
 *
 * The checks of a TransactWriteItems, in DynamoDB Local's order (the first refusal wins):
 * 1. more than 100 actions → `Member must have length less than or equal to 100`;
 * 2. then action by action: a Put whose item is over 400 KB → `Item size has exceeded the maximum
 *    allowed size`; an Update whose SET values (name + value, per SET) are over 400 KB → `Item size to
 *    update has exceeded the maximum allowed size`; then the action's payload is added to the running
 *    total, and a total over 4 MB → `Transaction payload size cannot exceed 4MB. Payload Size: <total>`.
 *    An action's payload is its item (Put) or key (Update), plus the bytes of its update and condition
 *    expressions, plus each `#name` and `:value` they mention, once per mention.
 * 3. when the transaction runs: an Update whose resulting item is over 400 KB cancels it with a
 *    `ValidationError` reason `Item size to update has exceeded the maximum allowed size`
 *    (`resultingItem` builds that item; the caller knows the stored one).
 *
 * Worked example: `{ pk: 'p', sk: 'ab', n: 12345 }` is (2+1) + (2+2) + (1+4) = 12 bytes.
 */

/** 400 KB: the largest item. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** The most actions in one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;
/** 4 MB: the largest transaction payload. */
export const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

export type StoreLimitName = 'TransactionItems' | 'ItemSize' | 'TransactionSize';

/** The first limit a transaction breaks, with DynamoDB's message for it. */
export interface LimitViolation {
  limit: StoreLimitName;
  message: string;
  /** The index of the action that broke it (the 101st for TransactionItems). */
  index: number;
}

export const MESSAGES = {
  tooManyItems: `Member must have length less than or equal to ${MAX_TRANSACTION_ITEMS}`,
  itemTooLarge: 'Item size has exceeded the maximum allowed size',
  updateTooLarge: 'Item size to update has exceeded the maximum allowed size',
  payloadTooLarge: (bytes: number) => `Transaction payload size cannot exceed 4MB. Payload Size: ${bytes}`,
} as const;

/** A value as the document client takes it (before marshalling): undefined members are dropped. */
export type NativeValue = unknown;
export type NativeItem = Record<string, NativeValue>;

export interface ExpressionParts {
  ConditionExpression?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: Record<string, NativeValue> | undefined;
}

/** The kinds of action the event log and the observation store write (document-client shapes). */
export type TransactAction =
  | { Put: ExpressionParts & { TableName?: string; Item: NativeItem } }
  | { Update: ExpressionParts & { TableName?: string; Key: NativeItem; UpdateExpression: string } }
  | { Delete: ExpressionParts & { TableName?: string; Key: NativeItem } };

/** UTF-8 bytes of a string (a loop for short ones: cheaper than a native call). */
function utf8(text: string): number {
  if (text.length > 32) return Buffer.byteLength(text, 'utf8');
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/** The size of a number, from its decimal text as the document client sends it (`String(n)`). */
export function numberSize(value: number | bigint | string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    // An integer: the decimal point is after its last digit. Its d digits make ceil(d/2) pairs,
    // of which the trailing all-zero ones (floor(z/2) for z trailing zeros) are dropped.
    if (value === 0) return 1;
    const digits = String(Math.abs(value));
    let zeros = 0;
    while (digits.charCodeAt(digits.length - 1 - zeros) === 48) zeros++;
    const pairs = Math.ceil(digits.length / 2) - Math.floor(zeros / 2);
    return 1 + pairs + (value < 0 && pairs < 20 ? 1 : 0);
  }
  const text = String(value).trim().toLowerCase();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/.exec(text);
  if (!match) throw new TypeError(`not a number DynamoDB can store: ${text}`);
  const negative = match[1] === '-';
  const digits = `${match[2] ?? ''}${match[3] ?? ''}`;
  // value = 0.<digits> × 10^point, i.e. the decimal point sits `point` digits into `digits`.
  let point = (match[2] ?? '').length + Number(match[4] ?? 0);
  const first = digits.search(/[1-9]/);
  if (first === -1) return 1; // zero
  const significant = digits.slice(first).replace(/0+$/, '');
  point -= first;
  // Pairs are aligned on the decimal point: pad on the left to an even point, on the right to an even length.
  const left = ((point % 2) + 2) % 2;
  const pairs = Math.ceil((left + significant.length) / 2);
  return 1 + pairs + (negative && pairs < 20 ? 1 : 0);
}

/** The size of a value (without an attribute name). */
export function valueSize(value: NativeValue): number {
  if (value === null) return 1;
  switch (typeof value) {
    case 'string':
      return utf8(value);
    case 'number':
    case 'bigint':
      return numberSize(value);
    case 'boolean':
      return 1;
    case 'object':
      break;
    default:
      throw new TypeError(`not a value DynamoDB can store: ${typeof value}`);
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) throw new TypeError('sets are not sized here (the event log writes none)');
  if (Array.isArray(value)) {
    let size = 3;
    for (const element of value) if (element !== undefined) size += 1 + valueSize(element);
    return size;
  }
  let size = 3;
  const map = value as Record<string, unknown>;
  for (const name in map) {
    const element = map[name];
    if (element !== undefined && Object.hasOwn(map, name)) size += 1 + utf8(name) + valueSize(element);
  }
  return size;
}

/** The size of an item: its attributes' names and values. */
export function itemSize(item: NativeItem): number {
  let size = 0;
  for (const name in item) {
    const value = item[name];
    if (value !== undefined && Object.hasOwn(item, name)) size += utf8(name) + valueSize(value);
  }
  return size;
}

/** The bytes an expression brings to the payload: its text plus every `#name` and `:value` it mentions. */
function expressionSize(expression: string | undefined, parts: ExpressionParts): number {
  if (!expression) return 0;
  let size = utf8(expression);
  for (const token of expression.match(/[#:][A-Za-z0-9_]+/g) ?? []) {
    if (token.startsWith('#')) {
      const name = parts.ExpressionAttributeNames?.[token];
      if (name === undefined) throw new TypeError(`${token} is not in ExpressionAttributeNames`);
      size += utf8(name);
    } else {
      if (!parts.ExpressionAttributeValues || !(token in parts.ExpressionAttributeValues)) {
        throw new TypeError(`${token} is not in ExpressionAttributeValues`);
      }
      size += valueSize(parts.ExpressionAttributeValues[token]);
    }
  }
  return size;
}

/** What an action adds to the transaction's payload (`size`: its item's, if already known). */
export function actionPayload(action: TransactAction, size?: number): number {
  if ('Put' in action) return (size ?? itemSize(action.Put.Item)) + expressionSize(action.Put.ConditionExpression, action.Put);
  if ('Delete' in action) return itemSize(action.Delete.Key) + expressionSize(action.Delete.ConditionExpression, action.Delete);
  const update = action.Update;
  return itemSize(update.Key) + expressionSize(update.UpdateExpression, update) + expressionSize(update.ConditionExpression, update);
}

/** An update expression of the form `SET #a = :a, #b = :b REMOVE #c, #d` (the only form the event log writes). */
export interface ParsedUpdate {
  set: Array<{ name: string; value: NativeValue }>;
  remove: string[];
}

export function parseUpdate(update: { UpdateExpression: string } & ExpressionParts): ParsedUpdate {
  const name = (token: string) => {
    const resolved = token.startsWith('#') ? update.ExpressionAttributeNames?.[token] : token;
    if (resolved === undefined) throw new TypeError(`${token} is not in ExpressionAttributeNames`);
    return resolved;
  };
  const parsed: ParsedUpdate = { set: [], remove: [] };
  const clauses = update.UpdateExpression.trim().split(/(?:^|\s+)(SET|REMOVE)\s+/i).filter((part) => part !== '');
  for (let i = 0; i < clauses.length; i += 2) {
    const keyword = clauses[i]!.toUpperCase();
    const body = clauses[i + 1] ?? '';
    for (const action of body.split(',').map((part) => part.trim())) {
      if (keyword === 'SET') {
        const match = /^([#A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)$/.exec(action);
        if (!match || !update.ExpressionAttributeValues || !(match[2]! in update.ExpressionAttributeValues)) {
          throw new TypeError(`unsupported SET action: ${action}`);
        }
        parsed.set.push({ name: name(match[1]!), value: update.ExpressionAttributeValues[match[2]!] });
      } else if (keyword === 'REMOVE' && /^[#A-Za-z0-9_]+$/.test(action)) {
        parsed.remove.push(name(action));
      } else {
        throw new TypeError(`unsupported update expression: ${update.UpdateExpression}`);
      }
    }
  }
  return parsed;
}

/** The item an Update leaves: the stored item (or just the key, for a new item) with the SETs and REMOVEs applied. */
export function resultingItem(stored: NativeItem | undefined, update: { Key: NativeItem; UpdateExpression: string } & ExpressionParts): NativeItem {
  const { set, remove } = parseUpdate(update);
  const item: NativeItem = { ...(stored ?? {}), ...update.Key };
  for (const { name, value } of set) item[name] = value;
  for (const name of remove) delete item[name];
  return item;
}

/**
 * The first limit a transaction breaks before it runs (checks 1 and 2 above), or undefined.
 * The result of an Update (check 3) needs the stored item: see `resultingItem`.
 */
export function transactionViolation(actions: readonly TransactAction[]): LimitViolation | undefined {
  if (actions.length > MAX_TRANSACTION_ITEMS) {
    return { limit: 'TransactionItems', message: MESSAGES.tooManyItems, index: MAX_TRANSACTION_ITEMS };
  }
  let payload = 0;
  for (const [index, action] of actions.entries()) {
    let size: number | undefined;
    if ('Put' in action) {
      size = itemSize(action.Put.Item);
      if (size > MAX_ITEM_BYTES) return { limit: 'ItemSize', message: MESSAGES.itemTooLarge, index };
    } else if ('Update' in action) {
      const set = parseUpdate(action.Update).set.reduce((sum, { name, value }) => sum + utf8(name) + valueSize(value), 0);
      if (set > MAX_ITEM_BYTES) return { limit: 'ItemSize', message: MESSAGES.updateTooLarge, index };
    }
    payload += actionPayload(action, size);
    if (payload > MAX_TRANSACTION_BYTES) return { limit: 'TransactionSize', message: MESSAGES.payloadTooLarge(payload), index };
  }
  return undefined;
}

/** Which limit a DynamoDB refusal message names, if it names one. */
export function limitOfMessage(message: string): StoreLimitName | undefined {
  if (/length less than or equal to 100\b/.test(message)) return 'TransactionItems';
  if (/Item size (to update )?has exceeded the maximum allowed size/i.test(message)) return 'ItemSize';
  if (/Transaction (payload|request)\b.*(size|4 ?MB)/i.test(message)) return 'TransactionSize';
  return undefined;
}
