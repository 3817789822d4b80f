/**
 * The scanner of the cluster query language. The parser pulls tokens one at a time, in one of two
 * modes: the normal mode for everything, and the pattern mode for the argument of `=~` / `!~`,
 * where a regex like `(t2|t3)\.(micro|small)` must come through as one token.
 *
 * Worked example — `not(attribute:a in ['x y', b]) || runningTasksCount>=2`:
 *
 * ```
 * word "not" 0-3 · ( 3 · word "attribute:a" 4-15 · word "in" 16-18 · [ 19 · string "x y" 20-25 ·
 * , 25 · word "b" 27-28 · ] 28 · ) 29 · || 31-33 · word "runningTasksCount" 34-51 · >= 51-53 ·
 * word "2" 53-54 · eof 54
 * ```
 *
 * and in pattern mode, after `=~`: `=~ (a|b).* )` yields the pattern `(a|b).*` — the scan stops at
 * whitespace or at a `)` that closes a parenthesis opened before the pattern. Parentheses inside a
 * `[…]` class do not count, and `\` escapes the next character, whitespace included (`a\ b`).
 *
 * Rules:
 * - Whitespace (space, tab, CR, LF) separates tokens and is otherwise ignored.
 * - A word is a run of letters, digits and `. _ - / \ : @ * +`; word operators (`and`, `in`,
 *   `not_exists`, …) are words too, recognised by the parser, case-insensitively.
 * - A string is `'…'` or `"…"` with no escapes: it runs to the next quote of the same kind, so
 *   `"it's"` and `'say "hi"'` work, and a backslash is literal (handy for regexes: `'\d+'`).
 * - Symbols: `( ) [ ] ,`, `== != =~ !~ > >= < <= && || !`, and `!in` / `!exists` when the word
 *   follows the `!` directly.
 * - A lone `=`, `&`, `|` or `~`, or any other character, is an error at its position.
 */
import { isWordChar } from './ast';

export type TokenKind =
  | 'word'
  | 'string'
  | '('
  | ')'
  | '['
  | ']'
  | ','
  | '=='
  | '!='
  | '=~'
  | '!~'
  | '>'
  | '>='
  | '<'
  | '<='
  | '&&'
  | '||'
  | '!'
  | '!in'
  | '!exists'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text of the token (quotes included for strings; empty for eof). */
  text: string;
  /** Decoded text: a string's contents without the quotes; otherwise equal to `text`. */
  value: string;
  start: number;
  end: number;
}

/** A syntax error, thrown inside the parser and caught at its boundary. */
export class QueryParseFailure {
  constructor(
    readonly message: string,
    readonly position: number,
  ) {}
}

/** How a token is named in an error message: `"=="`, `"prod"`, `end of input`. */
export function describeToken(token: Token): string {
  if (token.kind === 'eof') return 'end of input';
  const text = token.text.length > 24 ? `${token.text.slice(0, 23)}…` : token.text;
  return JSON.stringify(text);
}

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

const LONE_SYMBOL_HINTS: Readonly<Record<string, string>> = {
  '=': ' (did you mean "=="?)',
  '&': ' (did you mean "&&"?)',
  '|': ' (did you mean "||"?)',
  '~': ' (did you mean "=~"?)',
};

export class Lexer {
  private pos = 0;
  private lookahead: Token | null = null;

  constructor(readonly source: string) {}

  /** The next normal-mode token, without consuming it. */
  peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  /** Consumes and returns the next normal-mode token. */
  next(): Token {
    const token = this.peek();
    this.lookahead = null;
    return token;
  }

  /**
   * Consumes the argument of `=~` / `!~`: a quoted string, or a bare pattern running to the next
   * whitespace (or to an unmatched `)`), tracking `\` escapes, `[…]` classes and `(…)` groups.
   * Returns an `eof` token when there is no pattern, and a `)` token for `=~ )` (nothing before the
   * closing parenthesis), so the parser can say what it found instead.
   */
  nextPattern(): Token {
    if (this.lookahead !== null) throw new Error('nextPattern() after peek(): the parser must not look ahead here');
    this.skipWhitespace();
    const start = this.pos;
    const src = this.source;
    const first = src[start];
    if (first === undefined) return this.make('eof', start, start);
    if (first === "'" || first === '"') return this.scanString();
    let depth = 0;
    let inClass = false;
    let i = start;
    for (; i < src.length; i++) {
      const ch = src[i] as string;
      if (WHITESPACE.has(ch)) break;
      if (ch === '\\') {
        i++; // the escaped character is part of the pattern, whatever it is
        continue;
      }
      if (inClass) {
        if (ch === ']') inClass = false;
      } else if (ch === '[') {
        inClass = true;
      } else if (ch === '(') {
        depth++;
      } else if (ch === ')') {
        if (depth === 0) break;
        depth--;
      }
    }
    const end = Math.min(i, src.length);
    if (end === start) return this.next(); // `)`: let the parser report it
    this.pos = end;
    return this.make('word', start, end);
  }

  /** The offset just past the last consumed token (where "end of input" errors point). */
  get offset(): number {
    return this.pos;
  }

  private skipWhitespace(): void {
    while (this.pos < this.source.length && WHITESPACE.has(this.source[this.pos] as string)) this.pos++;
  }

  private make(kind: TokenKind, start: number, end: number, value?: string): Token {
    const text = this.source.slice(start, end);
    return { kind, text, value: value ?? text, start, end };
  }

  private wordEnd(from: number): number {
    let i = from;
    while (i < this.source.length && isWordChar(this.source[i] as string)) i++;
    return i;
  }

  private scanString(): Token {
    const start = this.pos;
    const quote = this.source[start] as string;
    const close = this.source.indexOf(quote, start + 1);
    if (close < 0) throw new QueryParseFailure(`unclosed ${quote === '"' ? 'double' : 'single'} quote`, start);
    this.pos = close + 1;
    return this.make('string', start, close + 1, this.source.slice(start + 1, close));
  }

  private scan(): Token {
    this.skipWhitespace();
    const src = this.source;
    const start = this.pos;
    const ch = src[start];
    if (ch === undefined) return this.make('eof', start, start);
    const two = src.slice(start, start + 2);
    const symbol = (kind: TokenKind, length: number): Token => {
      this.pos = start + length;
      return this.make(kind, start, start + length);
    };
    if (ch === "'" || ch === '"') return this.scanString();
    if (isWordChar(ch)) {
      this.pos = this.wordEnd(start);
      return this.make('word', start, this.pos);
    }
    switch (two) {
      case '==':
      case '!=':
      case '=~':
      case '!~':
      case '>=':
      case '<=':
      case '&&':
      case '||':
        return symbol(two, 2);
    }
    switch (ch) {
      case '(':
      case ')':
      case '[':
      case ']':
      case ',':
      case '>':
      case '<':
        return symbol(ch, 1);
      case '!': {
        const end = this.wordEnd(start + 1);
        const word = src.slice(start + 1, end).toLowerCase();
        if (word === 'in') return symbol('!in', end - start);
        if (word === 'exists') return symbol('!exists', end - start);
        return symbol('!', 1);
      }
    }
    const codePoint = String.fromCodePoint(src.codePointAt(start) ?? 0);
    throw new QueryParseFailure(
      `unexpected character ${JSON.stringify(codePoint)}${LONE_SYMBOL_HINTS[codePoint] ?? ''}`,
      start,
    );
  }
}
