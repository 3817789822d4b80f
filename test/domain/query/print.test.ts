import { describe, expect, it } from 'vitest';
import { formatQueryError, parseQuery, printQuery } from '../../../domain/query';
import { and, attr, not, or, parseOk, simple } from './helpers';

describe('printQuery', () => {
  // [source, canonical text]
  const cases: [string, string][] = [
    ['', ''],
    ['attribute:stack equals prod AND NOT attribute:x exists', 'attribute:stack == prod and not(attribute:x exists)'],
    ['ec2InstanceId in ("i-01a", i-01b)', 'ec2InstanceId in [i-01a, i-01b]'],
    ['attribute:owner == "team a"', "attribute:owner == 'team a'"],
    ["attribute:mode == 'and'", "attribute:mode == 'and'"],
    ['attribute:mode == "it\'s"', 'attribute:mode == "it\'s"'],
    ["attribute:mode == ''", "attribute:mode == ''"],
    ['attribute:a NOT_IN [x]', 'attribute:a !in [x]'],
    ['attribute:a Not_Exists', 'attribute:a !exists'],
    ['attribute:a not_matches x', 'attribute:a !~ x'],
    ['runningTasksCount greater_than_equal 2', 'runningTasksCount >= 2'],
    ['attribute:t =~ (t2|t3).*', 'attribute:t =~ (t2|t3).*'],
    ["attribute:t =~ 'a b'", "attribute:t =~ 'a b'"],
    ["attribute:t =~ ' +'", "attribute:t =~ ' +'"],
    ["attribute:t =~ '\"x'", "attribute:t =~ '\"x'"],
    ["attribute:t =~ '[)]'", 'attribute:t =~ [)]'],
    ["attribute:t =~ '\\)'", 'attribute:t =~ \\)'],
    ["attribute:t =~ 'and'", "attribute:t =~ 'and'"],
    ['attribute:a exists || attribute:b exists && attribute:c exists', 'attribute:a exists or attribute:b exists and attribute:c exists'],
    ['(attribute:a exists or attribute:b exists) and attribute:c exists', '(attribute:a exists or attribute:b exists) and attribute:c exists'],
    ['(attribute:a exists and attribute:b exists) and attribute:c exists', '(attribute:a exists and attribute:b exists) and attribute:c exists'],
    ['!!attribute:a exists', 'not(not(attribute:a exists))'],
  ];
  it.each(cases)('%j → %j', (source, expected) => {
    expect(printQuery(parseOk(source))).toBe(expected);
  });

  it('keeps the tree of hand-built ASTs', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => simple(attr(n), 'exists'));
    expect(printQuery(or(a!, or(b!, c!)))).toBe('attribute:a exists or (attribute:b exists or attribute:c exists)');
    expect(printQuery(and(not(a!), or(b!, c!)))).toBe('not(attribute:a exists) and (attribute:b exists or attribute:c exists)');
    expect(printQuery(simple(attr('x'), '=~', '(a'))).toBe("attribute:x =~ '(a'");
  });

  it('refuses a value that no quoting can hold', () => {
    expect(() => printQuery(simple(attr('x'), '==', `it's "x"`))).toThrow(RangeError);
  });
});

describe('formatQueryError', () => {
  const format = (source: string): string => {
    const result = parseQuery(source);
    if (result.ok) throw new Error('expected a refusal');
    return formatQueryError(source, result.error);
  };

  it('renders the message, the position and a caret (the example of print.ts)', () => {
    expect(format('attribute:a exists ) and b')).toBe(
      ['unexpected ")" (no "(" to close) at position 19', 'attribute:a exists ) and b', '                   ^'].join('\n'),
    );
  });

  it('points past the end for end-of-input errors', () => {
    expect(format('attribute:stack ==')).toBe(
      ['expected a value after "==", found end of input at position 18', 'attribute:stack ==', '                  ^'].join('\n'),
    );
  });

  it('shows only the offending line, aligning the caret across tabs', () => {
    expect(format('attribute:a exists and\n\tattribute:b == c d')).toBe(
      ['unexpected "d" (expected "and", "or" or end of input) at position 41', '\tattribute:b == c d', '\t                 ^'].join(
        '\n',
      ),
    );
  });

  it('cuts long lines to a window around the position', () => {
    const source = `${Array.from({ length: 10 }, (_, i) => `attribute:a${i} exists`).join(' and ')} zzz ${'and attribute:b exists '.repeat(5)}`;
    const [message, line, caret] = format(source).split('\n');
    expect(message).toMatch(/^unexpected "zzz" .* at position \d+$/);
    expect(line?.startsWith('…')).toBe(true);
    expect(line?.endsWith('…')).toBe(true);
    expect(line?.slice(caret?.indexOf('^'), (caret?.indexOf('^') ?? 0) + 3)).toBe('zzz');
  });

  it('clamps a position outside the source', () => {
    expect(formatQueryError('abc', { message: 'm', position: 99 })).toBe('m at position 99\nabc\n   ^');
    expect(formatQueryError('', { message: 'm', position: -1 })).toBe('m at position -1\n\n^');
  });
});
