/**
 * The `TargetHealth` port on ELBv2's DescribeTargetHealth: one call per target group, without
 * `Targets` (every registered target), answered in the port's shape — the target's id and port, its
 * state, and ELB's reason (`Reason: Description`) when it is not healthy.
 *
 * The client is anything that answers DescribeTargetHealth in the SDK's request and response shapes:
 * the simulated ELBv2 (`local/sim/elbv2.ts`) does, and so does `describeTargetHealthThroughSdk()`
 * over the SDK's ELBv2 client (loaded on first use: only a Service behind a load balancer reads it).
 * DescribeTargetHealth has no pages (every target of the group in one answer) and no resource-level
 * permissions (IAM: `elasticloadbalancing:DescribeTargetHealth` on `*`).
 *
 * describeTargetHealth('arn:…:targetgroup/web/…') →
 *   [{ id: 'i-0123', port: 32768, state: 'healthy' }, { id: 'i-0456', port: 32769, state: 'initial', reason: 'Elb.InitialHealthChecking: Initial health checks in progress' }]
 */
import type { ElasticLoadBalancingV2ClientConfig } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { describeTargetHealthClient } from './sdk/elbv2';
import type { TargetHealth, TargetHealthDescription } from '../ports';

/** DescribeTargetHealth in the SDK's shapes (the fields read here). */
export interface DescribeTargetHealthClient {
  describeTargetHealth(input: { TargetGroupArn: string }): Promise<{
    TargetHealthDescriptions?:
      | Array<{
          Target?: { Id?: string | undefined; Port?: number | undefined } | undefined;
          TargetHealth?: { State?: string | undefined; Reason?: string | undefined; Description?: string | undefined } | undefined;
        }>
      | undefined;
  }>;
}

/**
 * DescribeTargetHealth through the SDK's ELBv2 client, which is loaded (a dynamic import: esbuild
 * puts `sdk/elbv2.ts` and the client in a chunk of their own, read only then) and built on the first call: only a Service
 * behind a load balancer reads target health, and a reconciler that never does pays nothing for it
 * at cold start. The client is kept for the life of the container.
 */
export function describeTargetHealthThroughSdk(config: ElasticLoadBalancingV2ClientConfig = {}): DescribeTargetHealthClient {
  let send: ReturnType<typeof describeTargetHealthClient> | undefined;
  return {
    describeTargetHealth: async (input) => {
      send ??= (await import('./sdk/elbv2')).describeTargetHealthClient(config);
      return send(input);
    },
  };
}

export class Elbv2TargetHealth implements TargetHealth {
  constructor(private readonly client: DescribeTargetHealthClient) {}

  async describeTargetHealth(targetGroupArn: string): Promise<TargetHealthDescription[]> {
    const answer = await this.client.describeTargetHealth({ TargetGroupArn: targetGroupArn });
    return (answer.TargetHealthDescriptions ?? []).flatMap((d) => {
      const id = d.Target?.Id;
      if (id === undefined) return [];
      const health = d.TargetHealth ?? {};
      const reason = [health.Reason, health.Description].filter(Boolean).join(': ');
      return [{ id, ...(d.Target?.Port !== undefined ? { port: d.Target.Port } : {}), state: health.State ?? 'unavailable', ...(reason ? { reason } : {}) }];
    });
  }
}
