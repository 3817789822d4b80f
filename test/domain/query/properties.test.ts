/**
 * Properties of the cluster query language module:
 * 1. `parseQuery` never throws, and refusals point inside the source (arbitrary and token soup).
 * 2. Round trip: `parseQuery(printQuery(ast))` gives back `ast` (positions aside), over generated
 *    ASTs; and printing is a fixpoint over whatever random text parses.
 * 3. The evaluator agrees with a direct interpretation written here from the documented semantics,
 *    over generated expressions and instances — through the printer and the parser.
 * Plus algebraic laws (negations, De Morgan, `in` as a disjunction).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { InstanceFacts, QueryAst, QuerySubject } from '../../../domain/query';
import { evaluateQuery, formatQueryError, parseQuery, printQuery } from '../../../domain/query';
import { and, anyAst, attr, field, not, or, parseOk, simple, strip, treeOf } from './helpers';

/** Fragments that make random text look like queries, so the parser's deeper paths get exercised. */
const fragment = fc.constantFrom(
  'attribute:a', 'attribute:ecs.instance-type', 'attribute:', 'task:group', 'agentVersion', 'registeredAt',
  'runningTasksCount', 'agentConnected', 'ec2InstanceId', 'foo', ' ', '  ', '\t', '\n', '==', '!=', '>', '>=', '<',
  '<=', '=~', '!~', '=', '!', '&', '|', '~', 'exists', '!exists', 'not_exists', 'in', '!in', 'not_in', 'matches', 'and',
  'AND', 'or', 'OR', 'not', 'NOT', '&&', '||', '(', ')', '[', ']', ',', "'", '"', 'prod', 't2.*', '(t2|t3)', '1.15.0',
  '2018-01-01', '0', 'true', 'x y', '\\', '*', '😀', '#',
);
const tokenSoup = fc.array(fragment, { maxLength: 25 }).map((parts) => parts.join(''));
const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), tokenSoup);

function expectWellFormedResult(source: string): void {
  const result = parseQuery(source);
  if (result.ok) {
    if (result.ast !== null) expectSpansNested(result.ast, 0, source.length);
  } else {
    expect(result.error.position).toBeGreaterThanOrEqual(0);
    expect(result.error.position).toBeLessThanOrEqual(source.length);
    expect(result.error.message.length).toBeGreaterThan(0);
    expect(typeof formatQueryError(source, result.error)).toBe('string');
  }
}

/** Every node lies within its parent, with start <= end. */
function expectSpansNested(node: unknown, lo: number, hi: number): void {
  if (Array.isArray(node)) {
    for (const child of node) expectSpansNested(child, lo, hi);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const { start, end } = node as { start?: number; end?: number };
  let [l, h] = [lo, hi];
  if (typeof start === 'number' && typeof end === 'number') {
    expect(start).toBeGreaterThanOrEqual(lo);
    expect(end).toBeLessThanOrEqual(hi);
    expect(start).toBeLessThanOrEqual(end);
    [l, h] = [start, end];
  }
  for (const [key, child] of Object.entries(node)) if (key !== 'start' && key !== 'end') expectSpansNested(child, l, h);
}

describe('property 1: parseQuery never throws', () => {
  it('on arbitrary strings (10,000 runs)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), expectWellFormedResult), { numRuns: 10_000 });
  });

  it('on query-like token soup (10,000 runs)', () => {
    fc.assert(fc.property(tokenSoup, expectWellFormedResult), { numRuns: 10_000 });
  });

  it('on valid queries with a few characters deleted, inserted or replaced (10,000 runs)', () => {
    const edit = fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.oneof(fragment, fc.string({ maxLength: 2 })));
    const mutated = fc.tuple(anyAst.map(printQuery), fc.array(edit, { minLength: 1, maxLength: 3 })).map(([text, edits]) =>
      edits.reduce((t, [at, cut, insert]) => {
        const i = t.length === 0 ? 0 : at % (t.length + 1);
        return t.slice(0, i) + insert + t.slice(i + cut);
      }, text),
    );
    fc.assert(fc.property(mutated, expectWellFormedResult), { numRuns: 10_000 });
  });
});

describe('property 2: print / parse round trip', () => {
  it('parses the printed text of a generated AST back to the same AST', () => {
    fc.assert(
      fc.property(anyAst, (ast) => {
        const text = printQuery(ast);
        const result = parseQuery(text);
        if (!result.ok) throw new Error(`${text}\n${formatQueryError(text, result.error)}`);
        expect(strip(result.ast)).toEqual(strip(ast));
      }),
      { numRuns: 3000 },
    );
  });

  it('prints a fixpoint: whatever random text parses, its printed form parses to the same tree', () => {
    fc.assert(
      fc.property(anyText, (source) => {
        const result = parseQuery(source);
        if (!result.ok) return;
        const printed = printQuery(result.ast);
        expect(strip(parseOk(printed))).toEqual(strip(result.ast));
        expect(printQuery(parseOk(printed))).toBe(printed);
      }),
      { numRuns: 5000 },
    );
  });
});

// ── Property 3: a direct interpretation ─────────────────────────────────────────────────────────

/**
 * The evaluator's documented semantics, restated plainly for a small world: attributes a, b, c
 * with values drawn from VALUES (or present without a value, or absent), task groups, and
 * runningTasksCount. Values are numbers or words, so ordering is "numbers numerically, otherwise
 * by code units".
 */
const NAMES = ['a', 'b', 'c'] as const;
const VALUES = ['x', 'y', 'Y', '1', '2', '10', 'service:web'] as const;
const GROUPS = ['service:web', 'service:db', 'family:log'] as const;

function valuesOf(subject: QuerySubject, facts: InstanceFacts): string[] {
  if (subject.field === 'attribute') {
    const v = Object.hasOwn(facts.attributes, subject.name) ? facts.attributes[subject.name] : undefined;
    return v === undefined ? [] : [v];
  }
  if (subject.field === 'task:group') return facts.taskGroups ?? [];
  if (subject.field === 'runningTasksCount') return facts.runningTasksCount === undefined ? [] : [String(facts.runningTasksCount)];
  throw new Error(`not in this world: ${subject.field}`);
}

function order(a: string, b: string): number {
  const isNum = (s: string): boolean => /^\d+$/.test(s);
  if (isNum(a) && isNum(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function oracle(ast: QueryAst, facts: InstanceFacts): boolean {
  switch (ast.type) {
    case 'and':
      return ast.operands.every((o) => oracle(o, facts));
    case 'or':
      return ast.operands.some((o) => oracle(o, facts));
    case 'not':
      return !oracle(ast.operand, facts);
    case 'exists': {
      const s = ast.subject;
      const exists = s.field === 'attribute' ? Object.hasOwn(facts.attributes, s.name) : valuesOf(s, facts).length > 0;
      return ast.negated ? !exists : exists;
    }
    case 'compare': {
      const counted = ast.subject.field === 'runningTasksCount';
      const arg = ast.value.value;
      const eq = (v: string): boolean => (counted ? Number(v) === Number(arg) : v === arg);
      return valuesOf(ast.subject, facts).some((v) => {
        switch (ast.op) {
          case '==':
            return eq(v);
          case '!=':
            return !eq(v);
          case '>':
            return order(v, arg) > 0;
          case '>=':
            return order(v, arg) >= 0;
          case '<':
            return order(v, arg) < 0;
          case '<=':
            return order(v, arg) <= 0;
        }
      });
    }
    case 'in': {
      const list = ast.values.map((v) => v.value);
      return valuesOf(ast.subject, facts).some((v) => list.includes(v) !== ast.negated);
    }
    case 'matches': {
      const re = new RegExp(`^(?:${ast.pattern.value})$`);
      return valuesOf(ast.subject, facts).some((v) => re.test(v) !== ast.negated);
    }
  }
}

const smallSubject: fc.Arbitrary<QuerySubject> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMES).map(attr) },
  fc.constant(field('task:group')),
  fc.constant(field('runningTasksCount')),
);
const someValue = fc.constantFrom(...VALUES, ...GROUPS);
const smallPattern = fc.constantFrom('x|y', '[0-9]+', '1.*', 'service:.*', '.*:log', 'Y', '.');

const smallLeaf: fc.Arbitrary<QueryAst> = smallSubject.chain((s): fc.Arbitrary<QueryAst> => {
  if (s.field === 'runningTasksCount') {
    return fc.tuple(fc.constantFrom('==', '!=', '>', '>=', '<', '<=' as const), fc.integer({ min: 0, max: 12 })).map(([op, n]) =>
      simple(s, op, String(n)),
    );
  }
  return fc.oneof(
    fc.constantFrom('exists', '!exists' as const).map((op) => simple(s, op)),
    fc.tuple(fc.constantFrom('==', '!=', '>', '>=', '<', '<=' as const), someValue).map(([op, v]) => simple(s, op, v)),
    fc.tuple(fc.constantFrom('in', '!in' as const), fc.array(someValue, { minLength: 1, maxLength: 3 })).map(([op, vs]) =>
      simple(s, op, vs),
    ),
    fc.tuple(fc.constantFrom('=~', '!~' as const), smallPattern).map(([op, p]) => simple(s, op, p)),
  );
});

const smallInstance: fc.Arbitrary<InstanceFacts> = fc.record(
  {
    attributes: fc
      .array(fc.tuple(fc.constantFrom(...NAMES), fc.option(fc.constantFrom(...VALUES), { nil: undefined })), { maxLength: 3 })
      .map((entries) => Object.fromEntries(entries)),
    taskGroups: fc.subarray([...GROUPS]),
    runningTasksCount: fc.integer({ min: 0, max: 12 }),
  },
  { requiredKeys: ['attributes'] },
);

describe('property 3: the evaluator agrees with a direct interpretation', () => {
  it('over generated expressions, evaluated from their printed text', () => {
    fc.assert(
      fc.property(treeOf(smallLeaf), smallInstance, (ast, facts) => {
        const reparsed = parseOk(printQuery(ast));
        expect(evaluateQuery(reparsed, facts)).toBe(oracle(ast, facts));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('algebraic laws', () => {
  const tree = treeOf(smallLeaf);

  it('not complements, and De Morgan holds', () => {
    fc.assert(
      fc.property(tree, tree, smallInstance, (p, q, facts) => {
        expect(evaluateQuery(not(p), facts)).toBe(!evaluateQuery(p, facts));
        expect(evaluateQuery(not(and(p, q)), facts)).toBe(evaluateQuery(or(not(p), not(q)), facts));
        expect(evaluateQuery(not(or(p, q)), facts)).toBe(evaluateQuery(and(not(p), not(q)), facts));
      }),
      { numRuns: 2000 },
    );
  });

  it('!exists is not(exists); on single-valued subjects in is a disjunction of ==, and !in a conjunction of !=', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.array(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }),
        smallInstance,
        (name, values, facts) => {
          const s = attr(name);
          expect(evaluateQuery(simple(s, '!exists'), facts)).toBe(!evaluateQuery(simple(s, 'exists'), facts));
          const eqs = values.map((v) => simple(s, '==', v));
          const nes = values.map((v) => simple(s, '!=', v));
          expect(evaluateQuery(simple(s, 'in', values), facts)).toBe(eqs.some((e) => evaluateQuery(e, facts)));
          expect(evaluateQuery(simple(s, '!in', values), facts)).toBe(nes.every((e) => evaluateQuery(e, facts)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('on a present single value, != is not(==); on a missing one both == and != are false', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES), smallInstance, (name, v, facts) => {
        const s = attr(name);
        const eq = evaluateQuery(simple(s, '==', v), facts);
        const ne = evaluateQuery(simple(s, '!=', v), facts);
        if (facts.attributes[name] === undefined) expect([eq, ne]).toEqual([false, false]);
        else expect(ne).toBe(!eq);
      }),
      { numRuns: 2000 },
    );
  });
});
