/**
 * Evaluates a parsed cluster query against what we know of one container instance.
 *
 * Worked example — instance `{ attributes: { stack: 'prod', 'ecs.instance-type': 't3.large' },
 * agentVersion: '1.51.0', runningTasksCount: 2, taskGroups: ['service:web', 'family:log'] }`:
 *
 * ```
 * attribute:stack == prod                       true
 * attribute:stack != gamma                      true
 * attribute:zone != us-east-1a                  false  ← no `zone` attribute: every comparison is false …
 * not(attribute:zone == us-east-1a)             true   ← … but its negation is true
 * attribute:zone !exists                        true
 * attribute:ecs.instance-type =~ t3.*           true   (full match: `t3` alone would be false)
 * agentVersion >= 1.15.0                        true   (1.51.0 vs 1.15.0, component-wise)
 * runningTasksCount < 10                        true   (numeric, not string order)
 * task:group == service:web                     true   (some group is service:web)
 * task:group != service:web                     true   (some group — family:log — is not)
 * not(task:group == service:web)                false  ← the anti-affinity spelling
 * task:group in [service:db, family:log]        true
 * ```
 *
 * Semantics:
 * - Each subject yields zero or more values: an attribute one (or none), `task:group` one per
 *   group, the other fields one when the fact is known. A simple expression holds when SOME value
 *   satisfies it — the ECS guide's task affinity / anti-affinity examples (`task:group ==
 *   service:production` vs `not(task:group == database)`) only make sense that way.
 * - No value, no match: every comparison on a missing subject is false, the negated ones (`!=`,
 *   `!in`, `!~`) included. The guide backs this for `!=`: `attribute:stack != prod` "lists the
 *   instances with the custom attribute "stack" unless the attribute value is "prod"" — instances
 *   without `stack` are not listed. Use `not(attribute:stack == prod)` to include them.
 * - `exists` is about the name, not the value: an attribute present with no value (ECS allows
 *   value-less attributes such as `ecs.capability.external`; here `{ name: undefined }` with the
 *   key present) exists, but has no value to compare.
 * - `==`, `!=`, `in`, `!in` compare text exactly (the guide: "String equality"), except for the
 *   typed fields: runningTasksCount (numbers), agentVersion (versions, `1.15` == `1.15.0`) and
 *   registeredAt (instants, so `2018-06-18` == `2018-06-18T00:00:00Z`).
 * - `>`, `>=`, `<`, `<=` on the typed fields compare by type. On `attribute:` and `task:group`
 *   they compare as decimal numbers when both sides are numbers, else as versions when both are
 *   dotted numbers, else as dates when both are dates, else by UTF-16 code units. An unreadable
 *   fact (an agentVersion like `1.0-beta`) compares false with everything.
 * - `=~` / `!~` match the whole value (see `compilePattern`). A pattern that does not compile
 *   (possible only in a hand-built AST; the parser refuses it) matches nothing, either way.
 */
import type { QueryAst, QuerySubject, QueryValue } from './ast';
import type { CompiledPattern } from './values';
import {
  compareVersions,
  compilePattern,
  parseDecimal,
  parseFactDate,
  parseVersion,
} from './values';

/** What the evaluator sees of one container instance. */
export interface InstanceFacts {
  /** Custom and `ecs.*` attributes, e.g. `{ stack: 'prod', 'ecs.availability-zone': 'us-east-1a' }`. */
  attributes: Record<string, string | undefined>;
  agentConnected?: boolean;
  agentVersion?: string;
  ec2InstanceId?: string;
  /** ISO-8601, e.g. `2018-06-18T22:28:28.123Z`. */
  registeredAt?: string;
  runningTasksCount?: number;
  /** Groups of the tasks running on the instance, e.g. `service:web`, `family:log`. */
  taskGroups?: string[];
}

/** Does the instance satisfy the query? A null query (empty source) matches every instance. */
export function evaluateQuery(ast: QueryAst | null, instance: InstanceFacts): boolean {
  return ast === null ? true : evaluate(ast, instance);
}

function evaluate(ast: QueryAst, facts: InstanceFacts): boolean {
  switch (ast.type) {
    case 'and':
      return ast.operands.every((operand) => evaluate(operand, facts));
    case 'or':
      return ast.operands.some((operand) => evaluate(operand, facts));
    case 'not':
      return !evaluate(ast.operand, facts);
    case 'exists':
      return subjectExists(ast.subject, facts) !== ast.negated;
    case 'compare': {
      const { field } = ast.subject;
      const argument = ast.value.value;
      return subjectValues(ast.subject, facts).some((value) => {
        if (ast.op === '==') return equal(field, value, argument);
        if (ast.op === '!=') return notEqual(field, value, argument);
        const order = compare(field, value, argument);
        if (order === null) return false;
        switch (ast.op) {
          case '>':
            return order > 0;
          case '>=':
            return order >= 0;
          case '<':
            return order < 0;
          case '<=':
            return order <= 0;
        }
      });
    }
    case 'in': {
      const { field } = ast.subject;
      const list = ast.values.map((v) => v.value);
      return subjectValues(ast.subject, facts).some((value) =>
        ast.negated ? list.every((item) => notEqual(field, value, item)) : list.some((item) => equal(field, value, item)),
      );
    }
    case 'matches': {
      const compiled = patternOf(ast.pattern);
      if (!compiled.ok) return false;
      return subjectValues(ast.subject, facts).some((value) => compiled.regex.test(value) !== ast.negated);
    }
  }
}

function subjectExists(subject: QuerySubject, facts: InstanceFacts): boolean {
  switch (subject.field) {
    case 'attribute':
      return Object.hasOwn(facts.attributes, subject.name);
    case 'task:group':
      return (facts.taskGroups ?? []).length > 0;
    default:
      return subjectValues(subject, facts).length > 0;
  }
}

/** The values a subject has on this instance (see "Semantics" above). */
function subjectValues(subject: QuerySubject, facts: InstanceFacts): string[] {
  const one = (value: string | undefined): string[] => (typeof value === 'string' ? [value] : []);
  switch (subject.field) {
    case 'attribute':
      return Object.hasOwn(facts.attributes, subject.name) ? one(facts.attributes[subject.name]) : [];
    case 'task:group':
      return (facts.taskGroups ?? []).filter((group) => typeof group === 'string');
    case 'agentConnected':
      return typeof facts.agentConnected === 'boolean' ? [String(facts.agentConnected)] : [];
    case 'agentVersion':
      return one(facts.agentVersion);
    case 'ec2InstanceId':
      return one(facts.ec2InstanceId);
    case 'registeredAt':
      return one(facts.registeredAt);
    case 'runningTasksCount':
      return typeof facts.runningTasksCount === 'number' && Number.isFinite(facts.runningTasksCount)
        ? [String(facts.runningTasksCount)]
        : [];
  }
}

type Field = QuerySubject['field'];

/** The order of `value` relative to `argument` for a field, or null when they do not compare. */
function compare(field: Field, value: string, argument: string): number | null {
  switch (field) {
    case 'runningTasksCount':
      return compareNumbers(parseDecimal(value), parseDecimal(argument));
    case 'agentVersion': {
      const a = parseVersion(value);
      const b = parseVersion(argument);
      return a !== null && b !== null ? compareVersions(a, b) : null;
    }
    case 'registeredAt':
      return compareNumbers(parseFactDate(value), parseFactDate(argument));
    default:
      return compareLoosely(value, argument);
  }
}

function compareNumbers(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ordering for untyped subjects: numbers, then versions, then dates, then text. */
function compareLoosely(a: string, b: string): number {
  const numbers = compareNumbers(parseDecimal(a), parseDecimal(b));
  if (numbers !== null) return numbers;
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (va !== null && vb !== null) return compareVersions(va, vb);
  const dates = compareNumbers(parseFactDate(a), parseFactDate(b));
  if (dates !== null) return dates;
  return a < b ? -1 : a > b ? 1 : 0;
}

const TYPED_FIELDS: ReadonlySet<Field> = new Set(['runningTasksCount', 'agentVersion', 'registeredAt']);

function equal(field: Field, value: string, argument: string): boolean {
  return TYPED_FIELDS.has(field) ? compare(field, value, argument) === 0 : value === argument;
}

/** Not simply `!equal`: an unreadable typed value is neither equal nor unequal to anything. */
function notEqual(field: Field, value: string, argument: string): boolean {
  if (!TYPED_FIELDS.has(field)) return value !== argument;
  const order = compare(field, value, argument);
  return order !== null && order !== 0;
}

/** Compiled patterns, per AST node (re-checked against the text, in case a node was edited). */
const patterns = new WeakMap<QueryValue, { source: string; compiled: CompiledPattern }>();

function patternOf(pattern: QueryValue): CompiledPattern {
  const cached = patterns.get(pattern);
  if (cached !== undefined && cached.source === pattern.value) return cached.compiled;
  const compiled = compilePattern(pattern.value);
  patterns.set(pattern, { source: pattern.value, compiled });
  return compiled;
}
