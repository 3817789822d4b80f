/**
 * parseAction (functions/engine/action-schema.ts): the executor's input contract, checked by hand.
 * Given a message body, when it is parsed, then it is the action the planner sent (unknown keys
 * dropped, at every level), or an error naming the field that is wrong.
 */
import { describe, expect, it } from 'vitest';
import type { PlannerAction } from '../../../domain/rollout';
import { parseAction } from '../../../functions/engine/action-schema';

const common = { key: 'k1', environment: 'Env/Prod', deploymentId: 'd1', epoch: 0, revision: 2, cluster: 'default', reason: '' };
const start: PlannerAction = { type: 'StartTasks', ...common, taskDefinition: 'web:2', instanceArns: ['i-1', 'i-2'] };
const stop: PlannerAction = { type: 'StopTasks', ...common, taskArns: ['t-1'] };
const update: PlannerAction = {
  type: 'UpdateService',
  ...common,
  service: {
    name: 'blox-web',
    desiredCount: 4,
    launchType: 'FARGATE',
    networkConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' },
    loadBalancer: { containerName: 'web', containerPort: 8080, targetGroupArn: 'arn:tg' },
  },
  operations: [
    { op: 'EnsureService', desiredCount: 4 },
    { op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 25, clientToken: 'c1' },
    { op: 'ScaleTaskSet', taskSet: 'ts-1', scale: 0, stopTasks: ['t-9'] },
    { op: 'SetPrimaryTaskSet', taskSet: 'ts-2' },
    { op: 'DeleteTaskSet', taskSet: 'ts-1' },
    { op: 'SetDesiredCount', desiredCount: 0 },
    { op: 'DeleteService' },
  ],
};

const traffic: PlannerAction = {
  type: 'UpdateService',
  ...common,
  service: {
    name: 'blox-web',
    desiredCount: 4,
    loadBalancer: { containerName: 'web', containerPort: 80, targetGroupArn: 'arn:blue' },
    traffic: { kind: 'Alb', listenerRuleArn: 'arn:rule', testListenerRuleArn: 'arn:test', blueTargetGroupArn: 'arn:blue', greenTargetGroupArn: 'arn:green' },
  },
  operations: [
    { op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 25, clientToken: 'c1', targetGroupArn: 'arn:green' },
    { op: 'SetWeights', rule: 'production', weights: [{ targetGroupArn: 'arn:green', weight: 25 }, { targetGroupArn: 'arn:blue', weight: 75 }] },
    { op: 'SetWeights', rule: 'test', weights: [{ targetGroupArn: 'arn:green', weight: 100 }] },
  ],
};
const dns: PlannerAction = {
  ...traffic,
  service: { name: 'blox-web', desiredCount: 4, traffic: { kind: 'Route53', hostedZoneId: 'Z1', recordName: 'web.example.internal', blue: { setIdentifier: 'blue', targetGroupArn: 'arn:a' }, green: { setIdentifier: 'green', targetGroupArn: 'arn:b' } } },
} as PlannerAction;
const hook: PlannerAction = { type: 'InvokeHook', ...common, hook: 0, stage: 'PostTestTraffic', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke-ok', attempt: 2 };

const body = (value: unknown) => JSON.stringify(value);

describe('parseAction', () => {
  it.each([start, stop, update, { ...update, service: { name: 'blox-web', desiredCount: 0 } } as PlannerAction, traffic, dns, hook])('reads back what the planner sent: $type', (action) => {
    expect(parseAction(body(action))).toEqual(action);
  });

  it('names the field of a bad weight, stage or route kind', () => {
    const weights = { ...traffic, operations: [{ op: 'SetWeights', rule: 'production', weights: [{ targetGroupArn: 'arn:green', weight: 101 }] }] };
    expect(() => parseAction(body(weights))).toThrow(/operations\.0\.weights\.0\.weight/);
    expect(() => parseAction(body({ ...hook, stage: 'Later' }))).toThrow(/stage/);
    expect(() => parseAction(body({ ...traffic, service: { ...(traffic as { service: object }).service, traffic: { kind: 'Nlb' } } }))).toThrow(/service\.traffic\.kind/);
  });

  it('drops unknown keys at every level (a planner one release ahead)', () => {
    const ahead = {
      ...update,
      extra: 1,
      service: { ...(update as Extract<PlannerAction, { type: 'UpdateService' }>).service, extra: 2, loadBalancer: { containerName: 'web', containerPort: 8080, targetGroupArn: 'arn:tg', extra: 3 } },
      operations: [{ op: 'DeleteService', extra: 4 }],
    };
    expect(parseAction(body(ahead))).toEqual({ ...update, operations: [{ op: 'DeleteService' }] });
  });

  // Each row: a body, and the message it is refused with (field path, then what was expected).
  it.each([
    ['not JSON', 'nope', 'action body is not JSON'],
    ['an array', '[]', 'action body: (body): expected an object'],
    ['an unknown type', body({ ...start, type: 'Reboot' }), 'action body: type: expected one of "StartTasks", "StopTasks", "UpdateService"'],
    ['no key', body({ ...start, key: undefined }), 'action body: key: expected a non-empty string'],
    ['an empty environment', body({ ...start, environment: '' }), 'action body: environment: expected a non-empty string'],
    ['a negative epoch', body({ ...start, epoch: -1 }), 'action body: epoch: expected an integer ≥ 0'],
    ['a text epoch', body({ ...start, epoch: 'one' }), 'action body: epoch: expected an integer ≥ 0'],
    ['revision 0', body({ ...start, revision: 0 }), 'action body: revision: expected an integer > 0'],
    ['a fractional revision', body({ ...start, revision: 1.5 }), 'action body: revision: expected an integer > 0'],
    ['a reason that is not a string', body({ ...start, reason: null }), 'action body: reason: expected a string'],
    ['no instances', body({ ...start, instanceArns: [] }), 'action body: instanceArns: expected an array of 1 to 10 non-empty strings'],
    ['11 instances', body({ ...start, instanceArns: Array.from({ length: 11 }, (_, i) => `i-${i}`) }), 'action body: instanceArns: expected an array of 1 to 10 non-empty strings'],
    ['an empty task ARN', body({ ...stop, taskArns: ['t-1', ''] }), 'action body: taskArns.1: expected a non-empty string'],
    ['no operations', body({ ...update, operations: [] }), 'action body: operations: expected an array of 1 or more operations'],
    ['an unknown operation', body({ ...update, operations: [{ op: 'Reboot' }] }), 'action body: operations.0.op: expected one of "EnsureService", "CreateTaskSet", "ScaleTaskSet", "SetPrimaryTaskSet", "DeleteTaskSet", "SetDesiredCount", "DeleteService"'],
    ['a scale over 100', body({ ...update, operations: [{ op: 'CreateTaskSet', taskDefinition: 'web:2', scale: 101, clientToken: 'c' }] }), 'action body: operations.0.scale: expected a number ≥ 0 and ≤ 100'],
    ['a negative desired count', body({ ...update, operations: [{ op: 'SetDesiredCount', desiredCount: -1 }] }), 'action body: operations.0.desiredCount: expected an integer ≥ 0'],
    ['no service', body({ ...update, service: undefined }), 'action body: service: expected an object'],
    ['a SPOT launch type', body({ ...update, service: { name: 's', desiredCount: 1, launchType: 'SPOT' } }), 'action body: service.launchType: expected one of "EC2", "FARGATE"'],
    ['port 0', body({ ...update, service: { name: 's', desiredCount: 1, loadBalancer: { containerName: 'web', containerPort: 0, targetGroupArn: 'arn:tg' } } }), 'action body: service.loadBalancer.containerPort: expected an integer ≥ 1 and ≤ 65535'],
    ['subnets that are not a list', body({ ...update, service: { name: 's', desiredCount: 1, networkConfiguration: { subnets: 'subnet-1' } } }), 'action body: service.networkConfiguration.subnets: expected an array of 0 or more non-empty strings'],
  ])('refuses %s, naming the field', (_what, text, message) => {
    expect(() => parseAction(text)).toThrow(message);
  });
});
