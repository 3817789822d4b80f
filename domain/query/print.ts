/**
 * Turns a query AST back into text, and a syntax error into a message with a caret.
 *
 * `printQuery` writes the canonical spelling: symbol operators, `[a, b]` lists, `not(…)`, `and` /
 * `or`, single spaces, quotes only where a value needs them — and parentheses exactly where the
 * tree needs them, so `parseQuery(printQuery(ast))` gives back the same tree (positions aside).
 *
 * ```
 * WORDS     attribute:stack equals prod AND NOT attribute:x exists
 *        →  attribute:stack == prod and not(attribute:x exists)
 * LISTS     ec2InstanceId in ("i-01a", i-01b)       →  ec2InstanceId in [i-01a, i-01b]
 * QUOTES    attribute:owner == "team a"             →  attribute:owner == 'team a'
 *           attribute:mode == 'and'                 →  attribute:mode == 'and'      (keyword: stays quoted)
 * GROUPING  or[a, and[b, c]]                        →  a or b and c
 *           and[or[a, b], c]                        →  (a or b) and c
 *           and[and[a, b], c]                       →  (a and b) and c             (the tree, not just the truth)
 * PATTERNS  attribute:t =~ (t2|t3).*                →  attribute:t =~ (t2|t3).*
 *           attribute:t =~ 'a b'                    →  attribute:t =~ 'a b'
 * ```
 *
 * `formatQueryError(source, error)` renders the error for people:
 *
 * ```
 * unexpected ")" (no "(" to close) at position 19
 * attribute:a exists ) and b
 *                    ^
 * ```
 * Lines longer than 80 characters are cut to a window around the position, marked with `…`.
 */
import type { QueryAst, QuerySubject, QueryValue } from './ast';
import { RESERVED_WORDS, isBareValue, operatorOf } from './ast';
import { Lexer } from './lexer';
import type { QuerySyntaxError } from './parser';

/** The canonical text of a query; `null` (match everything) prints as the empty string. */
export function printQuery(ast: QueryAst | null): string {
  return ast === null ? '' : print(ast);
}

function print(ast: QueryAst): string {
  switch (ast.type) {
    case 'and':
      return ast.operands.map((o) => (o.type === 'and' || o.type === 'or' ? `(${print(o)})` : print(o))).join(' and ');
    case 'or':
      return ast.operands.map((o) => (o.type === 'or' ? `(${print(o)})` : print(o))).join(' or ');
    case 'not':
      return `not(${print(ast.operand)})`;
    case 'exists':
      return `${printSubject(ast.subject)} ${operatorOf(ast)}`;
    case 'compare':
      return `${printSubject(ast.subject)} ${ast.op} ${printValue(ast.value)}`;
    case 'in':
      return `${printSubject(ast.subject)} ${operatorOf(ast)} [${ast.values.map(printValue).join(', ')}]`;
    case 'matches':
      return `${printSubject(ast.subject)} ${operatorOf(ast)} ${printPattern(ast.pattern)}`;
  }
}

function printSubject(subject: QuerySubject): string {
  return subject.field === 'attribute' ? `attribute:${subject.name}` : subject.field;
}

function quote(text: string): string {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  throw new RangeError(`cannot print ${JSON.stringify(text)}: the query language has no escapes, and it holds both quote characters`);
}

function printValue(value: QueryValue): string {
  return isBareValue(value.value) ? value.value : quote(value.value);
}

/** A pattern goes bare when the pattern scanner would read exactly it back, even before a `)`. */
function printPattern(pattern: QueryValue): string {
  const text = pattern.value;
  if (text === '' || text.startsWith("'") || text.startsWith('"') || RESERVED_WORDS.has(text.toLowerCase())) {
    return quote(text);
  }
  const token = new Lexer(`${text})`).nextPattern();
  return token.kind === 'word' && token.start === 0 && token.end === text.length ? text : quote(text);
}

const WINDOW_BEFORE = 40;
const WINDOW_AFTER = 40;

/** `message at position N`, then the line holding the position, then a caret under it. */
export function formatQueryError(source: string, error: QuerySyntaxError): string {
  const position = Math.max(0, Math.min(error.position, source.length));
  const lineStart = source.lastIndexOf('\n', position - 1) + 1;
  let lineEnd = source.indexOf('\n', position);
  if (lineEnd < 0) lineEnd = source.length;
  let line = source.slice(lineStart, lineEnd).replace(/\r$/, '');
  let column = position - lineStart;
  if (line.length > WINDOW_BEFORE + WINDOW_AFTER) {
    const from = Math.max(0, column - WINDOW_BEFORE);
    const to = Math.min(line.length, column + WINDOW_AFTER);
    line = `${from > 0 ? '…' : ''}${line.slice(from, to)}${to < line.length ? '…' : ''}`;
    column = column - from + (from > 0 ? 1 : 0);
  }
  const pad = line.slice(0, column).replace(/[^\t]/g, ' ');
  return `${error.message} at position ${error.position}\n${line}\n${pad}^`;
}
