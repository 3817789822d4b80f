/**
 * Shared test helpers for the cluster query language: a position-free view of the AST, tiny
 * AST builders, and fast-check generators of well-formed ASTs (every generated tree is one the
 * parser could have produced: valid names, valid operators per subject, valid values, compiling
 * patterns).
 */
import fc from 'fast-check';
import type {
  BuiltinField,
  CompareOp,
  QueryAst,
  QueryOperator,
  QuerySubject,
  QueryValue,
} from '../../../domain/query';
import { BUILTIN_FIELDS, VALID_OPERATORS, parseQuery } from '../../../domain/query';
import { compilePattern } from '../../../domain/query/values';

/** Removes every `start` / `end`, recursively, so trees compare by shape. */
export function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'start' && key !== 'end')
        .map(([key, v]) => [key, strip(v)]),
    );
  }
  return value;
}

/** Parses, failing the test with the error when the source is refused. */
export function parseOk(source: string): QueryAst | null {
  const result = parseQuery(source);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(source)} to parse: ${JSON.stringify(result.error)}`);
  return result.ast;
}

// ── Builders (positions 0; compare through `strip`) ─────────────────────────────────────────────

const at = { start: 0, end: 0 };

export const attr = (name: string): QuerySubject => ({ type: 'subject', field: 'attribute', name, ...at });
export const field = (f: BuiltinField): QuerySubject => ({ type: 'subject', field: f, ...at });
export const val = (value: string): QueryValue => ({ type: 'value', value, ...at });

export function simple(subject: QuerySubject, op: QueryOperator, argument?: string | string[]): QueryAst {
  switch (op) {
    case 'exists':
    case '!exists':
      return { type: 'exists', negated: op === '!exists', subject, ...at };
    case 'in':
    case '!in':
      return { type: 'in', negated: op === '!in', subject, values: ([] as string[]).concat(argument ?? []).map(val), ...at };
    case '=~':
    case '!~':
      return { type: 'matches', negated: op === '!~', subject, pattern: val(String(argument)), ...at };
    default:
      return { type: 'compare', op: op satisfies CompareOp, subject, value: val(String(argument)), ...at };
  }
}
export const not = (operand: QueryAst): QueryAst => ({ type: 'not', operand, ...at });
export const and = (...operands: QueryAst[]): QueryAst => ({ type: 'and', operands, ...at });
export const or = (...operands: QueryAst[]): QueryAst => ({ type: 'or', operands, ...at });

// ── Generators ──────────────────────────────────────────────────────────────────────────────────

const attributeName = fc.oneof(
  fc.constantFrom('stack', 'ecs.instance-type', 'ecs.availability-zone', 'ecs.os-type', 'a', 'b', 'x/y\\z', 'in', 'and'),
  fc.stringMatching(/^[A-Za-z0-9._\-/\\]{1,12}$/),
);

/** Any text the printer can represent: everything but a mix of both quote characters. */
const freeText = fc.oneof(
  fc.constantFrom('prod', 'and', 'OR', 'not', 'in', 'exists', '', 'two words', "it's", 'say "hi"', 'service:web', 't2.*', '[x]', '(y)', ','),
  fc.string({ maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.stringMatching(/^[A-Za-z0-9._\-/\\:@*+]{1,10}$/),
).filter((s) => !(s.includes("'") && s.includes('"')));

const digits = fc.stringMatching(/^\d{1,4}$/);
const version = fc.array(digits, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));
const two = (max: number, min = 0): fc.Arbitrary<string> => fc.integer({ min, max }).map((n) => String(n).padStart(2, '0'));
const date = fc.tuple(fc.integer({ min: 1970, max: 2099 }).map(String), two(12, 1), two(28, 1)).map((p) => p.join('-'));
const time = fc.tuple(two(23), two(59), two(59)).map((p) => p.join(':'));
const zone = fc.constantFrom('', 'Z', '+00:00', '-05:30', '+14:00');
const registeredAtValue = fc.oneof(date, fc.tuple(date, time, zone).map(([d, t, z]) => `${d}T${t}${z}`));

/** Values the parser accepts for a subject. */
export function valueFor(f: QuerySubject['field']): fc.Arbitrary<string> {
  switch (f) {
    case 'runningTasksCount':
      return digits;
    case 'agentVersion':
      return version;
    case 'registeredAt':
      return registeredAtValue;
    case 'agentConnected':
      return fc.constantFrom('true', 'false');
    default:
      return freeText;
  }
}

/** Patterns that compile, bare-printable or not. */
export const pattern = fc
  .oneof(
    fc.constantFrom('t2.*', 'g2\\..*', '(t2|t3)\\.(micro|small)', '[a-z]+-\\d', '.*', 'a b', "it's", '(?i)PROD', 'x)?', '\\)', '[)]', '\\s+'),
    fc.stringMatching(/^[a-z0-9.*+?|()[\]\\ -]{1,8}$/),
  )
  .filter((p) => compilePattern(p).ok && !(p.includes("'") && p.includes('"')));

const subject: fc.Arbitrary<QuerySubject> = fc.oneof(
  { weight: 3, arbitrary: attributeName.map(attr) },
  { weight: 2, arbitrary: fc.constantFrom(...BUILTIN_FIELDS).map(field) },
);

/** One well-formed simple expression. */
export const simpleAst: fc.Arbitrary<QueryAst> = subject.chain((s) =>
  fc.constantFrom(...VALID_OPERATORS[s.field]).chain((op): fc.Arbitrary<QueryAst> => {
    switch (op) {
      case 'exists':
      case '!exists':
        return fc.constant(simple(s, op));
      case 'in':
      case '!in':
        return fc.array(valueFor(s.field), { minLength: 1, maxLength: 4 }).map((vs) => simple(s, op, vs));
      case '=~':
      case '!~':
        return pattern.map((p) => simple(s, op, p));
      default:
        return valueFor(s.field).map((v) => simple(s, op, v));
    }
  }),
);

/** Whole trees over the given leaves: not, n-ary and / or (including directly nested ones). */
export function treeOf(leaf: fc.Arbitrary<QueryAst>): fc.Arbitrary<QueryAst> {
  const { tree } = fc.letrec<{ tree: QueryAst }>((self) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: leaf },
      { weight: 1, arbitrary: self('tree').map(not) },
      { weight: 1, arbitrary: fc.array(self('tree'), { minLength: 2, maxLength: 3 }).map((ops) => and(...ops)) },
      { weight: 1, arbitrary: fc.array(self('tree'), { minLength: 2, maxLength: 3 }).map((ops) => or(...ops)) },
    ),
  }));
  return tree;
}

export const anyAst = treeOf(simpleAst);
