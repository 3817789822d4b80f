/**
 * The syntax tree of the Amazon ECS cluster query language, and the facts about the language that
 * the parser, the printer and the evaluator share (subjects, operators, what a bare word may hold).
 *
 * Worked example — `attribute:stack == prod and not(task:group in [service:a, 'service:b'])`:
 *
 * ```
 * { type: 'and', start: 0, end: 71, operands: [
 *     { type: 'compare', op: '==', start: 0, end: 23,
 *       subject: { type: 'subject', field: 'attribute', name: 'stack', start: 0, end: 15 },
 *       value:   { type: 'value', value: 'prod', start: 19, end: 23 } },
 *     { type: 'not', start: 28, end: 71, operand:
 *       { type: 'in', negated: false, start: 31, end: 71,          ← a parenthesised node spans its parens
 *         subject: { type: 'subject', field: 'task:group', start: 32, end: 42 },
 *         values: [ { type: 'value', value: 'service:a', start: 47, end: 56 },
 *                   { type: 'value', value: 'service:b', start: 58, end: 69 } ] } } ] }
 * ```
 * Offsets are 0-based UTF-16 offsets into the source; `end` is exclusive. A value's span covers
 * its quotes.
 *
 * Shape decisions:
 * - One node per simple expression (`subject operator [argument]`), discriminated by what its
 *   argument is: `compare` (one value), `in` (a list), `matches` (a pattern), `exists` (none).
 *   The negated spellings (`!in`, `!~`, `!exists`) set `negated`; `!=` stays an `op` of `compare`.
 * - `and` / `or` are n-ary: `a and b and c` is one node with three operands. Parentheses leave
 *   no node of their own; `(a and b) and c` is an `and` whose first operand is an `and`, so the
 *   printer can reproduce the grouping the author wrote.
 * - Values keep their decoded text only (quotes removed); the printer re-quotes when needed.
 */

/** A half-open range `[start, end)` of 0-based offsets into the query source. */
export interface Span {
  start: number;
  end: number;
}

/** The subjects the language names directly (`attribute:NAME` is the open-ended one). */
export const BUILTIN_FIELDS = [
  'agentConnected',
  'agentVersion',
  'ec2InstanceId',
  'registeredAt',
  'runningTasksCount',
  'task:group',
] as const;
export type BuiltinField = (typeof BUILTIN_FIELDS)[number];

export type QuerySubject =
  | (Span & { type: 'subject'; field: 'attribute'; /** e.g. `ecs.instance-type` */ name: string })
  | (Span & { type: 'subject'; field: BuiltinField });

/** A literal argument: a bare word or a quoted string, decoded. */
export interface QueryValue extends Span {
  type: 'value';
  value: string;
}

export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** `subject == value`, `subject >= value`, … */
export interface QueryCompare extends Span {
  type: 'compare';
  op: CompareOp;
  subject: QuerySubject;
  value: QueryValue;
}

/** `subject exists` / `subject !exists` (`not_exists`). */
export interface QueryExists extends Span {
  type: 'exists';
  negated: boolean;
  subject: QuerySubject;
}

/** `subject in [a, b]` / `subject !in [a, b]` (`not_in`). Never empty. */
export interface QueryIn extends Span {
  type: 'in';
  negated: boolean;
  subject: QuerySubject;
  values: QueryValue[];
}

/** `subject =~ pattern` / `subject !~ pattern`; the pattern is a (Java-flavoured) regex, full match. */
export interface QueryMatches extends Span {
  type: 'matches';
  negated: boolean;
  subject: QuerySubject;
  pattern: QueryValue;
}

export interface QueryNot extends Span {
  type: 'not';
  operand: QueryAst;
}

export interface QueryAnd extends Span {
  type: 'and';
  /** At least two. */
  operands: QueryAst[];
}

export interface QueryOr extends Span {
  type: 'or';
  /** At least two. */
  operands: QueryAst[];
}

export type QueryAst = QueryCompare | QueryExists | QueryIn | QueryMatches | QueryNot | QueryAnd | QueryOr;

/** Every operator, as the printer spells it. */
export type QueryOperator = CompareOp | 'exists' | '!exists' | 'in' | '!in' | '=~' | '!~';

/** The operator a simple expression uses, as the printer spells it. */
export function operatorOf(node: QueryCompare | QueryExists | QueryIn | QueryMatches): QueryOperator {
  switch (node.type) {
    case 'compare':
      return node.op;
    case 'exists':
      return node.negated ? '!exists' : 'exists';
    case 'in':
      return node.negated ? '!in' : 'in';
    case 'matches':
      return node.negated ? '!~' : '=~';
  }
}

/**
 * The word spellings of the operators (matched case-insensitively). The ECS guide lists the word
 * forms next to the symbols: equals, not_equals, greater_than, greater_than_equal, less_than,
 * less_than_equal, exists, not_exists, in, not_in, matches, not_matches.
 */
export const WORD_OPERATORS: Readonly<Record<string, QueryOperator>> = {
  equals: '==',
  not_equals: '!=',
  greater_than: '>',
  greater_than_equal: '>=',
  less_than: '<',
  less_than_equal: '<=',
  exists: 'exists',
  not_exists: '!exists',
  in: 'in',
  not_in: '!in',
  matches: '=~',
  not_matches: '!~',
};

const ALL_OPERATORS: readonly QueryOperator[] = ['==', '!=', '>', '>=', '<', '<=', 'exists', '!exists', 'in', '!in', '=~', '!~'];

/**
 * Which operators each subject accepts. The ECS guide lists "Valid operators" for every built-in
 * field; `attribute:NAME` and `task:group` get no such list, so they accept all of them.
 */
export const VALID_OPERATORS: Readonly<Record<QuerySubject['field'], readonly QueryOperator[]>> = {
  attribute: ALL_OPERATORS,
  'task:group': ALL_OPERATORS,
  agentConnected: ['==', '!=', 'in', '!in', '=~', '!~'],
  ec2InstanceId: ['==', '!=', 'in', '!in', '=~', '!~'],
  agentVersion: ['==', '!=', '>', '>=', '<', '<='],
  registeredAt: ['==', '!=', '>', '>=', '<', '<='],
  runningTasksCount: ['==', '!=', '>', '>=', '<', '<='],
};

/** Boolean connectives: never accepted as a bare value (quote them: `attribute:mode == 'and'`). */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(['and', 'or', 'not']);

/**
 * Characters of a bare word (subject, word operator, unquoted value): letters, digits and
 * `. _ - / \ : @ * +`. That covers every character the ECS guide allows in attribute names and
 * values except the space, plus `*` (for `t2.*`-style values) and `+` (for `…T22:28:28+00:00`).
 */
export function isWordChar(ch: string): boolean {
  return /^[A-Za-z0-9._\-/\\:@*+]$/.test(ch);
}

export const BARE_WORD = /^[A-Za-z0-9._\-/\\:@*+]+$/;

/**
 * Attribute names: 1 to 128 letters, digits, hyphens, underscores, forward slashes, back slashes
 * or periods (the ECS guide, "Custom attributes"). No colon, so `attribute:a:b` is refused.
 */
export const ATTRIBUTE_NAME = /^[A-Za-z0-9._\-/\\]{1,128}$/;

/** A value may be printed without quotes: a bare word that is not a boolean connective. */
export function isBareValue(value: string): boolean {
  return BARE_WORD.test(value) && !RESERVED_WORDS.has(value.toLowerCase());
}
