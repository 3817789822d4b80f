import { describe, expect, it } from 'vitest';
import type { QueryAst } from '../../../domain/query';
import { parseQuery } from '../../../domain/query';
import { and, attr, field, not, or, parseOk, simple, strip } from './helpers';

describe('parseQuery: accepted queries and their trees', () => {
  const cases: [string, QueryAst | null][] = [
    ['', null],
    ['   \t\n ', null],
    ['attribute:stack == prod', simple(attr('stack'), '==', 'prod')],
    ['attribute:stack equals prod', simple(attr('stack'), '==', 'prod')],
    ['attribute:stack EQUALS prod', simple(attr('stack'), '==', 'prod')],
    ['attribute:stack != prod', simple(attr('stack'), '!=', 'prod')],
    ['attribute:stack Not_Equals prod', simple(attr('stack'), '!=', 'prod')],
    ['attribute:stack in (prod, gamma)', simple(attr('stack'), 'in', ['prod', 'gamma'])],
    ['attribute:stack in [prod, gamma]', simple(attr('stack'), 'in', ['prod', 'gamma'])],
    ['attribute:stack In [prod]', simple(attr('stack'), 'in', ['prod'])],
    ['attribute:stack !in [prod, gamma]', simple(attr('stack'), '!in', ['prod', 'gamma'])],
    ['attribute:stack not_in (prod)', simple(attr('stack'), '!in', ['prod'])],
    ['attribute:ecs.instance-type =~ t2.*', simple(attr('ecs.instance-type'), '=~', 't2.*')],
    ['attribute:ecs.instance-type matches t2.*', simple(attr('ecs.instance-type'), '=~', 't2.*')],
    ['attribute:ecs.instance-type !~ t2.*', simple(attr('ecs.instance-type'), '!~', 't2.*')],
    ['attribute:ecs.instance-type NOT_MATCHES "t2\\..*"', simple(attr('ecs.instance-type'), '!~', 't2\\..*')],
    [
      'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]',
      simple(attr('ecs.availability-zone'), 'in', ['us-east-1a', 'us-east-1b']),
    ],
    ["ec2InstanceId in ['i-01a', 'i-01b']", simple(field('ec2InstanceId'), 'in', ['i-01a', 'i-01b'])],
    [
      'agentVersion >= 1.15.0 and registeredAt < 2018-01-01',
      and(simple(field('agentVersion'), '>=', '1.15.0'), simple(field('registeredAt'), '<', '2018-01-01')),
    ],
    ['not(attribute:foo exists)', not(simple(attr('foo'), 'exists'))],
    [
      '(attribute:a == 1 or attribute:b == 2) && !(attribute:c exists)',
      and(or(simple(attr('a'), '==', '1'), simple(attr('b'), '==', '2')), not(simple(attr('c'), 'exists'))),
    ],
    ['runningTasksCount == 0', simple(field('runningTasksCount'), '==', '0')],
    ['task:group == service:production', simple(field('task:group'), '==', 'service:production')],
    ['task:group exists', simple(field('task:group'), 'exists')],
    ['not(task:group == database)', not(simple(field('task:group'), '==', 'database'))],
    ['agentConnected == false', simple(field('agentConnected'), '==', 'false')],
    ['agentVersion < 1.14.5', simple(field('agentVersion'), '<', '1.14.5')],
    ['registeredAt < 2018-02-13', simple(field('registeredAt'), '<', '2018-02-13')],
    ['registeredAt >= 2018-06-18T22:28:28+00:00', simple(field('registeredAt'), '>=', '2018-06-18T22:28:28+00:00')],
    ['registeredAt greater_than 2018-06-18T22:28:28Z', simple(field('registeredAt'), '>', '2018-06-18T22:28:28Z')],
    ['registeredAt less_than_equal 2018-06-18T22:28:28', simple(field('registeredAt'), '<=', '2018-06-18T22:28:28')],
    ['runningTasksCount greater_than_equal 3', simple(field('runningTasksCount'), '>=', '3')],
    ['runningTasksCount less_than 3', simple(field('runningTasksCount'), '<', '3')],
    ['attribute:a !exists', simple(attr('a'), '!exists')],
    ['attribute:a NOT_EXISTS', simple(attr('a'), '!exists')],
    ['attribute:a !EXISTS', simple(attr('a'), '!exists')],
    // no spaces needed around symbols
    ['attribute:a==b', simple(attr('a'), '==', 'b')],
    ['attribute:a!in[x,y]', simple(attr('a'), '!in', ['x', 'y'])],
    ['!(attribute:a exists)&&attribute:b exists', and(not(simple(attr('a'), 'exists')), simple(attr('b'), 'exists'))],
    // quoting: spaces, keywords, both quote kinds, backslashes are literal
    ["attribute:owner == 'team a'", simple(attr('owner'), '==', 'team a')],
    ['attribute:owner == "it\'s"', simple(attr('owner'), '==', "it's")],
    ["attribute:mode == 'and'", simple(attr('mode'), '==', 'and')],
    ["attribute:mode == ''", simple(attr('mode'), '==', '')],
    ["attribute:x =~ '\\d+'", simple(attr('x'), '=~', '\\d+')],
    // operator and connective words are values where a value is expected
    ['attribute:a == in', simple(attr('a'), '==', 'in')],
    ['attribute:a in [exists, in, not_in]', simple(attr('a'), 'in', ['exists', 'in', 'not_in'])],
    // patterns: parentheses balance, the pattern ends at whitespace or an unmatched ")"
    ['not(attribute:x =~ (t2|t3).*)', not(simple(attr('x'), '=~', '(t2|t3).*'))],
    ['attribute:x =~ [)(]+ and attribute:y exists', and(simple(attr('x'), '=~', '[)(]+'), simple(attr('y'), 'exists'))],
    ['attribute:x =~ a\\)b', simple(attr('x'), '=~', 'a\\)b')],
    ['attribute:x =~ (?i)t2.*', simple(attr('x'), '=~', '(?i)t2.*')],
    // attribute names: slashes, backslashes, dots, dashes, underscores
    ['attribute:com.example/team\\x_y-z exists', simple(attr('com.example/team\\x_y-z'), 'exists')],
    [`attribute:${'n'.repeat(128)} exists`, simple(attr('n'.repeat(128)), 'exists')],
  ];

  it.each(cases)('%j', (source, expected) => {
    expect(strip(parseOk(source))).toEqual(strip(expected));
  });
});

describe('parseQuery: precedence and grouping', () => {
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => simple(attr(n), 'exists')) as [QueryAst, QueryAst, QueryAst, QueryAst];
  const cases: [string, QueryAst][] = [
    ['attribute:a exists or attribute:b exists and attribute:c exists', or(a, and(b, c))],
    ['attribute:a exists and attribute:b exists or attribute:c exists', or(and(a, b), c)],
    ['not attribute:a exists and attribute:b exists', and(not(a), b)],
    ['! attribute:a exists or attribute:b exists', or(not(a), b)],
    ['not not attribute:a exists', not(not(a))],
    ['attribute:a exists AND attribute:b exists AND attribute:c exists', and(a, b, c)],
    ['attribute:a exists || attribute:b exists OR attribute:c exists || attribute:d exists', or(a, b, c, d)],
    ['(attribute:a exists and attribute:b exists) and attribute:c exists', and(and(a, b), c)],
    ['attribute:a exists and (attribute:b exists or attribute:c exists) and attribute:d exists', and(a, or(b, c), d)],
    ['((attribute:a exists))', a],
    ['NOT(attribute:a exists OR attribute:b exists)', not(or(a, b))],
  ];
  it.each(cases)('%j', (source, expected) => {
    expect(strip(parseOk(source))).toEqual(strip(expected));
  });
});

describe('parseQuery: source positions', () => {
  it('gives every node its span, parenthesised nodes including the parentheses', () => {
    const source = "attribute:stack == prod and not(task:group in [service:a, 'service:b'])";
    expect(parseOk(source)).toEqual({
      type: 'and',
      start: 0,
      end: 71,
      operands: [
        {
          type: 'compare',
          op: '==',
          start: 0,
          end: 23,
          subject: { type: 'subject', field: 'attribute', name: 'stack', start: 0, end: 15 },
          value: { type: 'value', value: 'prod', start: 19, end: 23 },
        },
        {
          type: 'not',
          start: 28,
          end: 71,
          operand: {
            type: 'in',
            negated: false,
            start: 31,
            end: 71,
            subject: { type: 'subject', field: 'task:group', start: 32, end: 42 },
            values: [
              { type: 'value', value: 'service:a', start: 47, end: 56 },
              { type: 'value', value: 'service:b', start: 58, end: 69 },
            ],
          },
        },
      ],
    });
  });

  it('spans an exists expression to the end of its operator, and a pattern to its last character', () => {
    expect(parseOk('  attribute:a   exists  ')).toMatchObject({ start: 2, end: 22 });
    expect(parseOk('attribute:a =~ (x|y)+ ')).toMatchObject({ start: 0, end: 21, pattern: { start: 15, end: 21 } });
  });

  it('slices back to the source text of each node', () => {
    const source = 'runningTasksCount<=3 or  task:group  !in ( "a b" , c )';
    const ast = parseOk(source);
    expect(ast?.type).toBe('or');
    if (ast?.type !== 'or') return;
    const [first, second] = ast.operands;
    expect(source.slice(first?.start, first?.end)).toBe('runningTasksCount<=3');
    expect(source.slice(second?.start, second?.end)).toBe('task:group  !in ( "a b" , c )');
  });
});

describe('parseQuery: refusals, with positions', () => {
  // [source, message (substring), position]
  const cases: [string, string, number][] = [
    // empty parentheses
    ['()', 'empty parentheses', 1],
    ['attribute:a exists and ( )', 'empty parentheses', 25],
    // dangling operator
    ['attribute:a ==', 'expected a value after "==", found end of input', 14],
    ['attribute:a == ', 'expected a value after "==", found end of input', 15],
    ['attribute:a =~', 'expected a pattern after "=~", found end of input', 14],
    ['not(attribute:a =~ )', 'expected a pattern after "=~", found ")"', 19],
    ['attribute:a', 'expected an operator after "attribute:a", found end of input', 11],
    ['attribute:a exists and', 'expected an expression after "and", found end of input', 22],
    ['attribute:a exists ||', 'expected an expression after "||", found end of input', 21],
    ['not', 'expected an expression after "not", found end of input', 3],
    ['!', 'expected an expression after "!", found end of input', 1],
    ['(', 'expected an expression after "(", found end of input', 1],
    ['attribute:a exists and ()', 'empty parentheses', 24],
    // unclosed parenthesis
    ['(attribute:a exists', 'unclosed "(" (expected ")")', 0],
    ['attribute:b exists and ((attribute:a exists)', 'unclosed "("', 23],
    ['(attribute:a exists attribute:b exists)', 'expected ")", "and" or "or", found "attribute:b"', 20],
    // stray closing parenthesis
    ['attribute:a exists )', 'unexpected ")" (no "(" to close)', 19],
    // unclosed quote
    ["attribute:a == 'b", 'unclosed single quote', 15],
    ['attribute:a in ["b, c]', 'unclosed double quote', 16],
    ["attribute:a =~ 't2.*", 'unclosed single quote', 15],
    // missing / malformed list
    ['attribute:a in', 'expected a list like [a, b] after "in", found end of input', 14],
    ['attribute:a not_in prod', 'expected a list like [a, b] after "not_in", found "prod"', 19],
    ['attribute:a in []', 'empty list: "in" needs at least one value', 16],
    ['attribute:a !in ()', 'empty list: "!in" needs at least one value', 17],
    ['attribute:a in [x,]', 'expected a value after ",", found "]"', 18],
    ['attribute:a in [,x]', 'expected a value in the list, found ","', 16],
    ['attribute:a in [x y]', 'expected "," or "]" in the list, found "y"', 18],
    ['attribute:a in [x, y)', 'expected "," or "]" in the list, found ")"', 20],
    ['attribute:a in (x, y]', 'expected "," or ")" in the list, found "]"', 20],
    ['attribute:a in [x, y', 'unclosed "[" (expected "]")', 15],
    ['attribute:a in [x,', 'unclosed "["', 15],
    ['attribute:a in [', 'unclosed "["', 15],
    // trailing garbage
    ['attribute:a == b c', 'unexpected "c" (expected "and", "or" or end of input)', 17],
    ['attribute:a exists b', 'unexpected "b"', 19],
    ['attribute:a in [x] y', 'unexpected "y"', 19],
    ['attribute:a == b ,', 'unexpected ","', 17],
    // unknown operator / character
    ['attribute:a contains b', 'unknown operator "contains"', 12],
    ['attribute:a = b', 'unexpected character "=" (did you mean "=="?)', 12],
    ['attribute:a exists & attribute:b exists', 'unexpected character "&" (did you mean "&&"?)', 19],
    ['attribute:a exists | attribute:b exists', 'unexpected character "|" (did you mean "||"?)', 19],
    ['attribute:a ~ b', 'unexpected character "~"', 12],
    ['attribute:a == b;', 'unexpected character ";"', 16],
    ['attribute:a == b 😀', 'unexpected character "😀"', 17],
    ['attribute:a ( b', 'expected an operator after "attribute:a", found "("', 12],
    // a list where one value belongs
    ['attribute:a == [x, y]', 'operator "==" takes one value, not a list (use "in")', 15],
    ['attribute:a != (x)', 'operator "!=" takes one value, not a list', 15],
    ['attribute:a >= [1]', 'operator ">=" takes one value, not a list', 15],
    // keywords are not bare values
    ['attribute:a == and', 'found keyword "and" (quote it to use it as a value', 15],
    ['attribute:a in [x, OR]', 'found keyword "OR"', 19],
    ['attribute:a =~ not', 'found keyword "not" (quote it to use it as a pattern', 15],
    // subjects
    ['foo == 1', 'unknown subject "foo" (expected attribute:NAME, task:group, agentConnected', 0],
    ['agentversion == 1.0', 'unknown subject "agentversion" (did you mean "agentVersion"?)', 0],
    ['Attribute:stack exists', 'unknown subject "Attribute:stack" (did you mean "attribute:stack"?)', 0],
    ['attribute exists', 'did you mean "attribute:NAME"?', 0],
    ['task:groups exists', 'unknown subject "task:groups"', 0],
    ['attribute: exists', 'missing attribute name after "attribute:"', 10],
    ['attribute:a:b exists', 'invalid attribute name "a:b"', 10],
    ['x and attribute:@b exists', 'unknown subject "x"', 0],
    ['attribute:a@b exists', 'invalid attribute name "a@b"', 10],
    [`attribute:${'n'.repeat(129)} exists`, 'is longer than 128 characters', 10],
    ['"attribute:a" exists', 'expected an expression, found "\\"attribute:a\\""', 0],
    ['== prod', 'expected an expression, found "=="', 0],
    ['attribute:a exists and in', 'expected an expression after "and", found "in"', 23],
    // operators per subject (the ECS guide's "Valid operators")
    ['agentVersion in [1.0]', 'operator "in" cannot be used with agentVersion (valid: ==, !=, >, >=, <, <=)', 13],
    ['agentVersion =~ 1.*', 'operator "=~" cannot be used with agentVersion', 13],
    ['registeredAt exists', 'operator "exists" cannot be used with registeredAt', 13],
    ['runningTasksCount in [1]', 'operator "in" cannot be used with runningTasksCount', 18],
    ['agentConnected > true', 'operator ">" cannot be used with agentConnected (valid: ==, !=, in, !in, =~, !~)', 15],
    ['ec2InstanceId >= i-1', 'operator ">=" cannot be used with ec2InstanceId', 14],
    ['ec2InstanceId !exists', 'operator "!exists" cannot be used with ec2InstanceId', 14],
    // values per subject
    ['runningTasksCount == -1', 'invalid value "-1" for runningTasksCount (expected a whole number', 21],
    ['runningTasksCount < 1.5', 'invalid value "1.5" for runningTasksCount', 20],
    ['agentVersion >= v1.2', 'invalid value "v1.2" for agentVersion (expected a version like 1.15.0)', 16],
    ['agentVersion >= 1..2', 'invalid value "1..2" for agentVersion', 16],
    ['registeredAt < 2018/01/01', 'invalid date "2018/01/01" for registeredAt', 15],
    ['registeredAt < 2018-02-30', 'invalid date "2018-02-30"', 15],
    ['registeredAt < 2018-06-18T22:28:28.123Z', 'invalid date', 15],
    ['registeredAt < 2018-06-18T22:28', 'invalid date', 15],
    ['agentConnected == yes', 'invalid value "yes" for agentConnected (expected true or false)', 18],
    ['agentConnected in [true, TRUE]', 'invalid value "TRUE" for agentConnected', 25],
    // invalid regexes
    ['attribute:x =~ t2(', 'invalid regular expression "t2(": Unterminated group', 15],
    ['attribute:x =~ *', 'invalid regular expression "*"', 15],
    ['attribute:x !~ "a**+"', 'invalid regular expression "a**+"', 15],
    ['attribute:x =~ (?>a)', 'invalid regular expression', 15],
    ['attribute:x =~ [a', 'invalid regular expression "[a"', 15],
    // nesting limit
    [`${'('.repeat(101)}attribute:a exists${')'.repeat(101)}`, 'expression nested too deeply (more than 100 levels)', 100],
    [`${'!'.repeat(101)}attribute:a exists`, 'expression nested too deeply', 100],
  ];

  it.each(cases)('%j', (source, message, position) => {
    const result = parseQuery(source);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain(message);
    expect(result.error.position).toBe(position);
  });

  it('accepts exactly MAX_NESTING levels', () => {
    expect(parseQuery(`${'('.repeat(100)}attribute:a exists${')'.repeat(100)}`).ok).toBe(true);
    expect(parseQuery(`${'not '.repeat(100)}attribute:a exists`).ok).toBe(true);
  });

  it('handles very long flat chains without deep recursion', () => {
    const source = Array.from({ length: 5000 }, (_, i) => `attribute:a${i} exists`).join(' and ');
    const ast = parseOk(source);
    expect(ast?.type === 'and' && ast.operands.length).toBe(5000);
  });
});
