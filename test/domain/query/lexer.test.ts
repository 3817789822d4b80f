import { describe, expect, it } from 'vitest';
import { Lexer } from '../../../domain/query/lexer';

const tokens = (source: string): [string, string, number, number][] => {
  const lexer = new Lexer(source);
  const out: [string, string, number, number][] = [];
  for (;;) {
    const t = lexer.next();
    out.push([t.kind, t.value, t.start, t.end]);
    if (t.kind === 'eof') return out;
  }
};

describe('Lexer (the worked example of lexer.ts)', () => {
  it('scans normal-mode tokens with their spans', () => {
    expect(tokens("not(attribute:a in ['x y', b]) || runningTasksCount>=2")).toEqual([
      ['word', 'not', 0, 3],
      ['(', '(', 3, 4],
      ['word', 'attribute:a', 4, 15],
      ['word', 'in', 16, 18],
      ['[', '[', 19, 20],
      ['string', 'x y', 20, 25],
      [',', ',', 25, 26],
      ['word', 'b', 27, 28],
      [']', ']', 28, 29],
      [')', ')', 29, 30],
      ['||', '||', 31, 33],
      ['word', 'runningTasksCount', 34, 51],
      ['>=', '>=', 51, 53],
      ['word', '2', 53, 54],
      ['eof', '', 54, 54],
    ]);
  });

  it('reads !in / !exists as one token only when the word follows directly', () => {
    expect(tokens('!IN !exists !inx ! in').map(([k, v]) => `${k}:${v}`)).toEqual([
      '!in:!IN',
      '!exists:!exists',
      '!:!',
      'word:inx',
      '!:!',
      'word:in',
      'eof:',
    ]);
  });

  it('scans a pattern to whitespace or to an unmatched ")"', () => {
    const lexer = new Lexer('=~ (a|b).* )');
    lexer.next();
    expect(lexer.nextPattern()).toMatchObject({ kind: 'word', value: '(a|b).*', start: 3, end: 10 });
    // `)` and `(` inside a class do not count; a backslash escapes the next character, even a space
    const inClass = new Lexer('[)(]\\ x) y');
    expect(inClass.nextPattern()).toMatchObject({ value: '[)(]\\ x', end: 7 });
  });
});
