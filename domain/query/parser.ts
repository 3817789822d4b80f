/**
 * Recursive-descent parser for the Amazon ECS cluster query language — the language of
 * `ListContainerInstances`' `filter` and of `memberOf` placement constraints.
 *
 * Grammar (word operators and connectives are case-insensitive; subjects are not):
 *
 * ```
 * query    := <whitespace only>                      → ast null: matches every instance
 *           | or
 * or       := and   (("||" | "or")  and)*
 * and      := unary (("&&" | "and") unary)*
 * unary    := ("!" | "not") unary | primary           precedence: not > and > or
 * primary  := "(" or ")" | simple
 * simple   := subject operator [argument]
 * subject  := "attribute:" NAME | "task:group" | "agentConnected" | "agentVersion"
 *           | "ec2InstanceId" | "registeredAt" | "runningTasksCount"
 * operator := "==" | "equals" | "!=" | "not_equals" | ">" | "greater_than" | ">=" | "greater_than_equal"
 *           | "<" | "less_than" | "<=" | "less_than_equal"             → argument: value
 *           | "exists" | "!exists" | "not_exists"                      → no argument
 *           | "in" | "!in" | "not_in"                                  → argument: list
 *           | "=~" | "matches" | "!~" | "not_matches"                  → argument: pattern
 * list     := "[" value ("," value)* "]" | "(" value ("," value)* ")"
 * value    := word | 'single-quoted' | "double-quoted"
 * ```
 *
 * Worked examples:
 *
 * ```
 * attribute:ecs.instance-type =~ t2.*           ok  matches{attribute ecs.instance-type, 't2.*'}
 * attribute:stack in [prod, gamma]              ok  in{attribute stack, [prod, gamma]}
 * attribute:stack in (prod, gamma)              ok  the same node (see "lists" below)
 * not(task:group == service:web)                ok  not{compare{task:group == service:web}}
 * a or b and not c                              ok  or[a, and[b, not c]]   (a, b, c: simple expressions)
 * agentVersion >= 1.15.0 and registeredAt < 2018-01-01          ok
 *
 * attribute:a ==                 error "expected a value after "==", found end of input" at 14
 * attribute:a == b c             error "unexpected "c" (expected "and", "or" or end of input)" at 17
 * (attribute:a exists            error "unclosed "("" at 0
 * ()                             error "empty parentheses" at 1
 * attribute:a in                 error "expected a list like [a, b] after "in", found end of input" at 14
 * attribute:a == [x, y]          error "operator "==" takes one value, not a list (use "in")" at 15
 * attribute:a contains b         error "unknown operator "contains"" at 12
 * foo == 1                       error "unknown subject "foo" (expected attribute:NAME, task:group, …)" at 0
 * agentVersion in [1.0]          error "operator "in" cannot be used with agentVersion (valid: ==, !=, >, >=, <, <=)" at 13
 * registeredAt < 2018/01/01      error "invalid date "2018/01/01" for registeredAt (expected …)" at 15
 * attribute:x =~ t2(             error "invalid regular expression "t2(": Unterminated group" at 15
 * attribute:a == 'b              error "unclosed single quote" at 15
 * ```
 *
 * Decisions, and where the ECS Developer Guide ("Cluster query language") backs them:
 * - Operators, their word forms and the connectives `&&`/`and`, `||`/`or`, `!`/`not`: as listed
 *   in the guide. Precedence not > and > or, parentheses to group: the guide's
 *   `(expression1 or expression2) and expression3`.
 * - Per-subject operators: the guide gives "Valid operators" for agentConnected, agentVersion,
 *   ec2InstanceId, registeredAt and runningTasksCount; anything else is refused at the operator.
 *   `attribute:` and `task:group` have no such list and accept every operator.
 * - Lists: the guide writes argument lists as `[argument1, argument2, ..., argumentN]`, and says
 *   "A single expression can't contain parentheses". `(a, b)` is accepted anyway because callers
 *   of this module rely on it; the printer always writes the documented `[a, b]`, so send ECS
 *   `printQuery(ast)` rather than the raw text if the author may have used parentheses.
 *   A list holds at least one value; a trailing comma is an error.
 * - Attribute names: 1–128 of letters, digits, `-`, `_`, `.`, `/`, `\` (the guide's rule for
 *   custom attribute names) — so no `:` in a name.
 * - registeredAt values: exactly the four date forms the guide lists. runningTasksCount values:
 *   whole numbers; agentVersion values: dotted whole numbers; agentConnected values (for `==`,
 *   `!=`, `in`, `!in`): `true` / `false`. These three are our reading of the field types — the
 *   guide gives no value syntax for them.
 * - Patterns are Java regexes in ECS; we compile them with JS RegExp (see `compilePattern`) and an
 *   invalid one is an error at the pattern.
 * - `and`, `or` and `not` are never bare values (`attribute:a == and` is an error; quote it).
 * - Nesting (parentheses and negations) is limited to 100 levels, so no input can exhaust the stack.
 */
import type { BuiltinField, CompareOp, QueryAst, QueryOperator, QuerySubject, QueryValue } from './ast';
import { ATTRIBUTE_NAME, BUILTIN_FIELDS, RESERVED_WORDS, VALID_OPERATORS, WORD_OPERATORS } from './ast';
import type { Token } from './lexer';
import { Lexer, QueryParseFailure, describeToken } from './lexer';
import { compilePattern, parseArgumentDate, parseCount, parseVersion } from './values';

export interface QuerySyntaxError {
  message: string;
  /** 0-based offset into the source, in [0, source.length]. */
  position: number;
}

export type ParseResult = { ok: true; ast: QueryAst | null } | { ok: false; error: QuerySyntaxError };

/** How deep parentheses and negations may nest. */
export const MAX_NESTING = 100;

const SUBJECT_HINT =
  'attribute:NAME, task:group, agentConnected, agentVersion, ec2InstanceId, registeredAt or runningTasksCount';

const SYMBOL_OPERATORS: Readonly<Partial<Record<Token['kind'], QueryOperator>>> = {
  '==': '==',
  '!=': '!=',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
  '=~': '=~',
  '!~': '!~',
  '!in': '!in',
  '!exists': '!exists',
};

/** Parses a query. Never throws: every malformed input yields `{ ok: false, error }`. */
export function parseQuery(source: string): ParseResult {
  try {
    const parser = new Parser(source);
    return { ok: true, ast: parser.parseQuery() };
  } catch (e) {
    if (e instanceof QueryParseFailure) {
      return { ok: false, error: { message: e.message, position: Math.max(0, Math.min(e.position, source.length)) } };
    }
    throw e;
  }
}

class Parser {
  private readonly lexer: Lexer;
  private depth = 0;

  constructor(private readonly source: string) {
    this.lexer = new Lexer(source);
  }

  parseQuery(): QueryAst | null {
    if (this.lexer.peek().kind === 'eof') return null;
    const ast = this.parseOr();
    const after = this.lexer.peek();
    if (after.kind !== 'eof') {
      const hint = after.kind === ')' ? ' (no "(" to close)' : ' (expected "and", "or" or end of input)';
      this.fail(`unexpected ${describeToken(after)}${hint}`, after.start);
    }
    return ast;
  }

  private fail(message: string, position: number): never {
    throw new QueryParseFailure(message, position);
  }

  private isWord(token: Token, ...words: string[]): boolean {
    return token.kind === 'word' && words.includes(token.text.toLowerCase());
  }

  /** `after` is the token just consumed (a connective, a negation, a parenthesis), for error messages. */
  private parseOr(after?: Token): QueryAst {
    const first = this.parseAnd(after);
    const operands = [first];
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind !== '||' && !this.isWord(token, 'or')) break;
      this.lexer.next();
      operands.push(this.parseAnd(token));
    }
    if (operands.length === 1) return first;
    return { type: 'or', operands, start: first.start, end: (operands.at(-1) ?? first).end };
  }

  private parseAnd(after?: Token): QueryAst {
    const first = this.parseUnary(after);
    const operands = [first];
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind !== '&&' && !this.isWord(token, 'and')) break;
      this.lexer.next();
      operands.push(this.parseUnary(token));
    }
    if (operands.length === 1) return first;
    return { type: 'and', operands, start: first.start, end: (operands.at(-1) ?? first).end };
  }

  private parseUnary(after?: Token): QueryAst {
    const token = this.lexer.peek();
    if (token.kind === '!' || this.isWord(token, 'not')) {
      this.lexer.next();
      this.enter(token);
      const operand = this.parseUnary(token);
      this.depth--;
      return { type: 'not', operand, start: token.start, end: operand.end };
    }
    return this.parsePrimary(after);
  }

  private enter(token: Token): void {
    if (++this.depth > MAX_NESTING) this.fail(`expression nested too deeply (more than ${MAX_NESTING} levels)`, token.start);
  }

  private parsePrimary(after?: Token): QueryAst {
    const token = this.lexer.peek();
    if (token.kind === '(') {
      this.lexer.next();
      this.enter(token);
      const inner = this.lexer.peek();
      if (inner.kind === ')') this.fail('empty parentheses', inner.start);
      const ast = this.parseOr(token);
      const close = this.lexer.peek();
      if (close.kind === 'eof') this.fail('unclosed "(" (expected ")")', token.start);
      if (close.kind !== ')') this.fail(`expected ")", "and" or "or", found ${describeToken(close)}`, close.start);
      this.lexer.next();
      this.depth--;
      return { ...ast, start: token.start, end: close.end };
    }
    return this.parseSimple(after);
  }

  // ── subject operator [argument] ─────────────────────────────────────────────────────────────────

  private parseSimple(after?: Token): QueryAst {
    const subject = this.parseSubject(after);
    const opToken = this.lexer.next();
    const op = this.operatorOf(opToken, subject);
    const valid = VALID_OPERATORS[subject.field];
    if (!valid.includes(op)) {
      const name = subject.field === 'attribute' ? `attribute:${subject.name}` : subject.field;
      this.fail(`operator "${op}" cannot be used with ${name} (valid: ${valid.join(', ')})`, opToken.start);
    }
    switch (op) {
      case 'exists':
      case '!exists':
        return { type: 'exists', negated: op === '!exists', subject, start: subject.start, end: opToken.end };
      case 'in':
      case '!in': {
        const { values, end } = this.parseList(opToken);
        for (const value of values) this.checkValue(subject, value);
        return { type: 'in', negated: op === '!in', subject, values, start: subject.start, end };
      }
      case '=~':
      case '!~': {
        const pattern = this.parsePattern(opToken);
        return { type: 'matches', negated: op === '!~', subject, pattern, start: subject.start, end: pattern.end };
      }
      default: {
        const value = this.parseValue(opToken, `after "${opToken.text}"`, op);
        this.checkValue(subject, value);
        return { type: 'compare', op: op satisfies CompareOp, subject, value, start: subject.start, end: value.end };
      }
    }
  }

  private parseSubject(after?: Token): QuerySubject {
    const token = this.lexer.next();
    if (token.kind !== 'word') {
      const where = after ? ` after ${describeToken(after)}` : '';
      this.fail(`expected an expression${where}, found ${describeToken(token)}`, token.start);
    }
    const text = token.text;
    const span = { start: token.start, end: token.end };
    if (text.startsWith('attribute:')) {
      const name = text.slice('attribute:'.length);
      const at = token.start + 'attribute:'.length;
      if (name === '') this.fail('missing attribute name after "attribute:"', at);
      if (!ATTRIBUTE_NAME.test(name)) {
        const problem = name.length > 128 ? 'is longer than 128 characters' : 'may only contain letters, digits, "-", "_", ".", "/" and "\\"';
        this.fail(`invalid attribute name ${JSON.stringify(name)}: an attribute name ${problem}`, at);
      }
      return { type: 'subject', field: 'attribute', name, ...span };
    }
    const builtin = BUILTIN_FIELDS.find((f) => f === text);
    if (builtin !== undefined) return { type: 'subject', field: builtin satisfies BuiltinField, ...span };
    if (RESERVED_WORDS.has(text.toLowerCase()) || WORD_OPERATORS[text.toLowerCase()] !== undefined) {
      const where = after ? ` after ${describeToken(after)}` : '';
      this.fail(`expected an expression${where}, found ${describeToken(token)}`, token.start);
    }
    const lower = text.toLowerCase();
    const near =
      BUILTIN_FIELDS.find((f) => f.toLowerCase() === lower) ??
      (lower.startsWith('attribute:') ? `attribute:${text.slice('attribute:'.length)}` : undefined) ??
      (lower === 'attribute' ? 'attribute:NAME' : undefined);
    const hint = near !== undefined ? `did you mean "${near}"?` : `expected ${SUBJECT_HINT}`;
    return this.fail(`unknown subject ${describeToken(token)} (${hint})`, token.start);
  }

  private operatorOf(token: Token, subject: QuerySubject): QueryOperator {
    const symbol = SYMBOL_OPERATORS[token.kind];
    if (symbol !== undefined) return symbol;
    if (token.kind === 'word') {
      const word = WORD_OPERATORS[token.text.toLowerCase()];
      if (word !== undefined) return word;
      return this.fail(`unknown operator ${describeToken(token)}`, token.start);
    }
    const name = this.source.slice(subject.start, subject.end);
    return this.fail(`expected an operator after ${JSON.stringify(name)}, found ${describeToken(token)}`, token.start);
  }

  /** A single value: a word (not `and`/`or`/`not`) or a quoted string. */
  private parseValue(context: Token, where: string, op?: QueryOperator): QueryValue {
    const token = this.lexer.next();
    if (token.kind === 'string') return { type: 'value', value: token.value, start: token.start, end: token.end };
    if (token.kind === 'word') {
      if (RESERVED_WORDS.has(token.text.toLowerCase())) {
        this.fail(
          `expected a value ${where}, found keyword ${describeToken(token)} (quote it to use it as a value: '${token.text}')`,
          token.start,
        );
      }
      return { type: 'value', value: token.value, start: token.start, end: token.end };
    }
    if (op !== undefined && (token.kind === '[' || token.kind === '(')) {
      this.fail(`operator "${context.text}" takes one value, not a list (use "in")`, token.start);
    }
    return this.fail(`expected a value ${where}, found ${describeToken(token)}`, token.start);
  }

  private parseList(opToken: Token): { values: QueryValue[]; end: number } {
    const open = this.lexer.next();
    if (open.kind !== '[' && open.kind !== '(') {
      this.fail(`expected a list like [a, b] after "${opToken.text}", found ${describeToken(open)}`, open.start);
    }
    const closer = open.kind === '[' ? ']' : ')';
    const first = this.lexer.peek();
    if (first.kind === closer) this.fail(`empty list: "${opToken.text}" needs at least one value`, first.start);
    if (first.kind === 'eof') this.fail(`unclosed "${open.kind}" (expected "${closer}")`, open.start);
    const values = [this.parseValue(open, `in the list`)];
    for (;;) {
      const token = this.lexer.next();
      if (token.kind === closer) return { values, end: token.end };
      if (token.kind === ',') {
        const next = this.lexer.peek();
        if (next.kind === 'eof') this.fail(`unclosed "${open.kind}" (expected "${closer}")`, open.start);
        values.push(this.parseValue(token, 'after ","'));
        continue;
      }
      if (token.kind === 'eof') this.fail(`unclosed "${open.kind}" (expected "${closer}")`, open.start);
      this.fail(`expected "," or "${closer}" in the list, found ${describeToken(token)}`, token.start);
    }
  }

  private parsePattern(opToken: Token): QueryValue {
    const token = this.lexer.nextPattern();
    if (token.kind !== 'word' && token.kind !== 'string') {
      this.fail(`expected a pattern after "${opToken.text}", found ${describeToken(token)}`, token.start);
    }
    if (token.kind === 'word' && RESERVED_WORDS.has(token.text.toLowerCase())) {
      this.fail(
        `expected a pattern after "${opToken.text}", found keyword ${describeToken(token)} (quote it to use it as a pattern: '${token.text}')`,
        token.start,
      );
    }
    const compiled = compilePattern(token.value);
    if (!compiled.ok) this.fail(`invalid regular expression ${JSON.stringify(token.value)}: ${compiled.reason}`, token.start);
    return { type: 'value', value: token.value, start: token.start, end: token.end };
  }

  /** Field-specific value syntax (see the decisions in the header). */
  private checkValue(subject: QuerySubject, value: QueryValue): void {
    const bad = (expected: string): never =>
      this.fail(`invalid value ${JSON.stringify(value.value)} for ${subject.field} (expected ${expected})`, value.start);
    switch (subject.field) {
      case 'runningTasksCount':
        if (parseCount(value.value) === null) bad('a whole number, e.g. 0');
        return;
      case 'agentVersion':
        if (parseVersion(value.value) === null) bad('a version like 1.15.0');
        return;
      case 'registeredAt':
        if (parseArgumentDate(value.value) === null) {
          this.fail(
            `invalid date ${JSON.stringify(value.value)} for registeredAt (expected 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00)`,
            value.start,
          );
        }
        return;
      case 'agentConnected':
        if (value.value !== 'true' && value.value !== 'false') bad('true or false');
        return;
      default:
        return;
    }
  }
}
