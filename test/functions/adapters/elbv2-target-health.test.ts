/**
 * The TargetHealth port on DescribeTargetHealth: one call per target group without `Targets`, the
 * answer in the port's shape (id, port, state, "Reason: Description" when not healthy).
 */
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { DescribeTargetHealthClient } from '../../../functions/adapters/elbv2-target-health';
import { describeTargetHealthThroughSdk, Elbv2TargetHealth } from '../../../functions/adapters/elbv2-target-health';

const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef';

describe('Elbv2TargetHealth', () => {
  it('asks for every target of the group in one call and answers id, port, state and reason', async () => {
    const requests: unknown[] = [];
    const client: DescribeTargetHealthClient = {
      describeTargetHealth: async (input) => {
        requests.push(input);
        return {
          TargetHealthDescriptions: [
            { Target: { Id: 'i-0123', Port: 32768 }, TargetHealth: { State: 'healthy' } },
            { Target: { Id: 'i-0456', Port: 32769 }, TargetHealth: { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' } },
            { Target: { Id: 'i-0789' }, TargetHealth: { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch' } },
            { TargetHealth: { State: 'healthy' } },
          ],
        };
      },
    };
    expect(await new Elbv2TargetHealth(client).describeTargetHealth(TG)).toEqual([
      { id: 'i-0123', port: 32768, state: 'healthy' },
      { id: 'i-0456', port: 32769, state: 'initial', reason: 'Elb.InitialHealthChecking: Initial health checks in progress' },
      { id: 'i-0789', state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' },
    ]);
    expect(requests).toEqual([{ TargetGroupArn: TG }]);
  });

  it('an empty group answers no target', async () => {
    expect(await new Elbv2TargetHealth({ describeTargetHealth: async () => ({}) }).describeTargetHealth(TG)).toEqual([]);
  });
});

describe('Elbv2TargetHealth over the SDK client (aws-sdk-client-mock)', () => {
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  afterEach(() => elbv2.reset());

  it('sends DescribeTargetHealth with the group ARN and no Targets, and reads the SDK answer', async () => {
    elbv2.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: 'i-0123', Port: 32768 }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: 'i-0456', Port: 32769 }, TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' } },
      ],
    });
    const client = describeTargetHealthThroughSdk({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    expect(await new Elbv2TargetHealth(client).describeTargetHealth(TG)).toEqual([
      { id: 'i-0123', port: 32768, state: 'healthy' },
      { id: 'i-0456', port: 32769, state: 'draining', reason: 'Target.DeregistrationInProgress: Target deregistration is in progress' },
    ]);
    expect(elbv2.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input)).toEqual([{ TargetGroupArn: TG }]);
  });

  it('an error of ELBv2 (a target group that is gone) reaches the caller', async () => {
    elbv2.on(DescribeTargetHealthCommand).rejects(Object.assign(new Error('Target groups not found'), { name: 'TargetGroupNotFoundException' }));
    const client = describeTargetHealthThroughSdk({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await expect(new Elbv2TargetHealth(client).describeTargetHealth(TG)).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });
  });
});
