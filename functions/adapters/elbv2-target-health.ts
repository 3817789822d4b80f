/**
 * The `TargetHealth` port on ELBv2's DescribeTargetHealth: one call per target group, without
 * `Targets` (every registered target), answered in the port's shape — the target's id and port, its
 * state, and ELB's reason (`Reason: Description`) when it is not healthy.
 *
 * The client is anything that answers DescribeTargetHealth in the SDK's request and response shapes:
 * the simulated ELBv2 (`local/sim/elbv2.ts`) does, and so does a thin wrapper around the SDK client
 * (`client.send(new DescribeTargetHealthCommand(input))`).
 *
 * describeTargetHealth('arn:…:targetgroup/web/…') →
 *   [{ id: 'i-0123', port: 32768, state: 'healthy' }, { id: 'i-0456', port: 32769, state: 'initial', reason: 'Elb.InitialHealthChecking: Initial health checks in progress' }]
 */
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
