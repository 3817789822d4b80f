/**
 * The Amazon ECS cluster query language — `ListContainerInstances`' `filter` and the expression
 * of `memberOf` placement constraints — as a pure module: parse, evaluate, print.
 *
 * ```ts
 * const source = 'attribute:stack == prod and runningTasksCount < 10';
 * const parsed = parseQuery(source);
 * if (!parsed.ok) throw new Error(formatQueryError(source, parsed.error));
 * // (had the source been 'attribute:stack ==', the message would read:)
 * //   expected a value after "==", found end of input at position 18
 * //   attribute:stack ==
 * //                     ^
 * evaluateQuery(parsed.ast, { attributes: { stack: 'prod' }, runningTasksCount: 3 });   // → true
 * evaluateQuery(parsed.ast, { attributes: {}, runningTasksCount: 3 });                  // → false
 * printQuery(parsed.ast);   // → 'attribute:stack == prod and runningTasksCount < 10'
 * parseQuery('   ');        // → { ok: true, ast: null }: an empty query matches every instance
 * ```
 *
 * Files: `ast.ts` (node types, subjects, operators), `lexer.ts`, `parser.ts` (grammar and the
 * decisions behind it, with the ECS guide's backing), `values.ts` (numbers, versions, dates,
 * patterns), `evaluate.ts` (semantics), `print.ts` (printer, error formatting).
 */
export type {
  BuiltinField,
  CompareOp,
  QueryAnd,
  QueryAst,
  QueryCompare,
  QueryExists,
  QueryIn,
  QueryMatches,
  QueryNot,
  QueryOperator,
  QueryOr,
  QuerySubject,
  QueryValue,
  Span,
} from './ast';
export { BUILTIN_FIELDS, VALID_OPERATORS } from './ast';
export type { ParseResult, QuerySyntaxError } from './parser';
export { MAX_NESTING, parseQuery } from './parser';
export type { InstanceFacts } from './evaluate';
export { evaluateQuery } from './evaluate';
export { formatQueryError, printQuery } from './print';
