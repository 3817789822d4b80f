import { describe, expect, it } from 'vitest';
import type { InstanceFacts } from '../../../domain/query';
import { evaluateQuery } from '../../../domain/query';
import { attr, parseOk, simple } from './helpers';

const web: InstanceFacts = {
  attributes: {
    stack: 'prod',
    'ecs.instance-type': 't3.large',
    'ecs.availability-zone': 'us-east-1a',
    'ecs.os-type': 'linux',
    'ecs.ami-id': 'ami-1234abcd',
    'ecs.capability.external': undefined, // present, no value
    weight: '10',
    release: '2.10.1',
    'built-on': '2024-03-01',
    owner: 'team a',
  },
  agentConnected: true,
  agentVersion: '1.51.0',
  ec2InstanceId: 'i-01a',
  registeredAt: '2018-06-18T22:28:28.123Z',
  runningTasksCount: 2,
  taskGroups: ['service:web', 'family:log'],
};

const bare: InstanceFacts = { attributes: {} };

describe('evaluateQuery: the worked examples of evaluate.ts', () => {
  const cases: [string, boolean][] = [
    ['attribute:stack == prod', true],
    ['attribute:stack != gamma', true],
    ['attribute:zone != us-east-1a', false],
    ['not(attribute:zone == us-east-1a)', true],
    ['attribute:zone !exists', true],
    ['attribute:ecs.instance-type =~ t3.*', true],
    ['attribute:ecs.instance-type =~ t3', false],
    ['agentVersion >= 1.15.0', true],
    ['runningTasksCount < 10', true],
    ['task:group == service:web', true],
    ['task:group != service:web', true],
    ['not(task:group == service:web)', false],
    ['task:group in [service:db, family:log]', true],
  ];
  it.each(cases)('%j → %s', (source, expected) => {
    expect(evaluateQuery(parseOk(source), web)).toBe(expected);
  });
});

describe('evaluateQuery over instance facts', () => {
  // [query, instance, expected]
  const cases: [string, InstanceFacts, boolean][] = [
    // empty query matches everything
    ['', bare, true],
    ['  ', web, true],
    // equality is exact text
    ['attribute:stack == prod', web, true],
    ['attribute:stack == Prod', web, false],
    ['attribute:stack equals prod', bare, false],
    ["attribute:owner == 'team a'", web, true],
    ['attribute:weight == 10.0', web, false],
    // missing subject: comparisons false, negated ones included
    ['attribute:stack != prod', bare, false],
    ['attribute:stack !in [prod]', bare, false],
    ['attribute:stack !~ p.*', bare, false],
    ['attribute:stack > 1', bare, false],
    ['not(attribute:stack == prod)', bare, true],
    ['not(attribute:stack in [prod])', bare, true],
    // exists is about the name
    ['attribute:ecs.capability.external exists', web, true],
    ['attribute:ecs.capability.external !exists', web, false],
    ['attribute:ecs.capability.external == ""', web, false],
    ['attribute:ecs.capability.external != x', web, false],
    ['attribute:constructor exists', bare, false],
    ['attribute:toString exists', bare, false],
    ['attribute:stack not_exists', web, false],
    // in / not_in
    ['attribute:stack in (prod, gamma)', web, true],
    ['attribute:stack in [beta, gamma]', web, false],
    ['attribute:stack !in [beta, gamma]', web, true],
    ['attribute:stack not_in [prod, gamma]', web, false],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', web, true],
    // patterns: Java-style, whole value
    ['attribute:ecs.instance-type =~ t[23]\\..*', web, true],
    ['attribute:ecs.instance-type =~ large', web, false],
    ['attribute:ecs.instance-type =~ .*large', web, true],
    ['attribute:ecs.instance-type !~ t2.*', web, true],
    ['attribute:ecs.instance-type not_matches t3.*', web, false],
    ['attribute:ecs.instance-type =~ (?i)T3\\.LARGE', web, true],
    ['attribute:ecs.instance-type =~ T3\\.LARGE', web, false],
    ['attribute:ecs.instance-type =~ t3.large|m5.large', web, true],
    ['attribute:owner =~ "team .*"', web, true],
    // ordering on attributes: numbers, then versions, then dates, then text
    ['attribute:weight > 9', web, true], // numerically; as text "10" < "9"
    ['attribute:weight >= 10.0', web, true],
    ['attribute:weight < 9.5', web, false],
    ['attribute:release > 2.9.9', web, true], // as versions; as text "2.10.1" < "2.9.9"
    ['attribute:release < 2.10', web, false],
    ['attribute:built-on > 2024-02-29T23:00:00Z', web, true],
    ['attribute:stack > pra', web, true],
    ['attribute:stack < prod', web, false],
    ['attribute:stack <= prod', web, true],
    // runningTasksCount
    ['runningTasksCount == 2', web, true],
    ['runningTasksCount == 02', web, true],
    ['runningTasksCount != 2', web, false],
    ['runningTasksCount > 1 and runningTasksCount <= 2', web, true],
    ['runningTasksCount == 0', { attributes: {}, runningTasksCount: 0 }, true],
    ['runningTasksCount == 0', bare, false],
    ['runningTasksCount != 0', bare, false],
    // agentVersion: component-wise
    ['agentVersion > 1.9.0', web, true],
    ['agentVersion < 1.14.5', web, false],
    ['agentVersion == 1.51', web, true],
    ['agentVersion != 1.51.0', web, false],
    ['agentVersion > 1.0', { attributes: {}, agentVersion: '1.0-beta' }, false],
    ['agentVersion != 1.0', { attributes: {}, agentVersion: '1.0-beta' }, false],
    // registeredAt: instants
    ['registeredAt > 2018-06-18', web, true],
    ['registeredAt < 2018-06-19', web, true],
    ['registeredAt > 2018-06-18T22:28:28Z', web, true], // .123 later
    ['registeredAt < 2018-06-18T22:28:29Z', web, true],
    ['registeredAt > 2018-06-18T23:28:28+02:00', web, true], // 21:28:28Z
    ['registeredAt < 2018-06-18T20:00:00-05:00', web, true], // 01:00Z next day
    ['registeredAt == 2018-06-18T22:28:28', { attributes: {}, registeredAt: '2018-06-18T22:28:28Z' }, true],
    ['registeredAt == 2018-06-18', { attributes: {}, registeredAt: '2018-06-18T00:00:00.000Z' }, true],
    ['agentVersion >= 1.15.0 and registeredAt < 2018-01-01', web, false],
    ['registeredAt < 2030-01-01', { attributes: {}, registeredAt: 'yesterday' }, false],
    // agentConnected
    ['agentConnected == true', web, true],
    ['agentConnected == false', web, false],
    ['agentConnected != true', { attributes: {}, agentConnected: false }, true],
    ['agentConnected in [false]', { attributes: {}, agentConnected: false }, true],
    ['agentConnected =~ t.*', web, true],
    ['agentConnected == false', bare, false],
    // ec2InstanceId
    ["ec2InstanceId in ['i-01a', 'i-01b']", web, true],
    ['ec2InstanceId =~ i-0[0-9a-f]+', web, true],
    ['ec2InstanceId != i-01a', web, false],
    // task:group: some group satisfies
    ['task:group == service:web', web, true],
    ['task:group == service:production', web, false],
    ['task:group in (service:a, service:b)', web, false],
    ['task:group !in [service:web, family:log]', web, false],
    ['task:group !in [service:web]', web, true],
    ['task:group =~ family:.*', web, true],
    ['task:group !~ service:.*', web, true],
    ['task:group exists', web, true],
    ['task:group exists', bare, false],
    ['task:group exists', { attributes: {}, taskGroups: [] }, false],
    ['task:group !exists', { attributes: {}, taskGroups: [] }, true],
    ['task:group != x', { attributes: {}, taskGroups: [] }, false],
    ['not(task:group == database)', { attributes: {}, taskGroups: [] }, true],
    // compound
    ['attribute:ecs.instance-type =~ t3.* and attribute:ecs.availability-zone != us-east-1d', web, true],
    ['(attribute:a == 1 or attribute:b == 2) && !(attribute:c exists)', { attributes: { b: '2' } }, true],
    ['(attribute:a == 1 or attribute:b == 2) && !(attribute:c exists)', { attributes: { b: '2', c: 'x' } }, false],
    ['not(attribute:foo exists)', bare, true],
    ['attribute:a exists or attribute:b exists and attribute:c exists', { attributes: { a: '' } }, true],
    ['(attribute:a exists or attribute:b exists) and attribute:c exists', { attributes: { a: '' } }, false],
  ];
  it.each(cases)('%j on %j → %s', (source, instance, expected) => {
    expect(evaluateQuery(parseOk(source), instance)).toBe(expected);
  });

  it('treats a pattern that does not compile (hand-built AST only) as matching nothing', () => {
    const facts: InstanceFacts = { attributes: { x: '(' } };
    expect(evaluateQuery(simple(attr('x'), '=~', '('), facts)).toBe(false);
    expect(evaluateQuery(simple(attr('x'), '!~', '('), facts)).toBe(false);
  });

  it('re-reads a pattern whose text changed after a first evaluation', () => {
    const ast = simple(attr('x'), '=~', 'a.*');
    const facts: InstanceFacts = { attributes: { x: 'abc' } };
    expect(evaluateQuery(ast, facts)).toBe(true);
    if (ast.type === 'matches') ast.pattern.value = 'b.*';
    expect(evaluateQuery(ast, facts)).toBe(false);
  });

  it('evaluates a 5,000-operand chain', () => {
    const source = Array.from({ length: 5000 }, (_, i) => `attribute:a${i} !exists`).join(' and ');
    expect(evaluateQuery(parseOk(source), bare)).toBe(true);
  });
});
