/**
 * A Service Canary over ALB weights at scale on the harness: `npx tsx bench/traffic-scale.ts [tasks]`
 * (default 1,000; the check is 10,000). Steps 10 → pause 60 s → 50 → pause 60 s → 100 over
 * web-blue / web-green (health checks every 10 s, 3 to be healthy; tasks start in 20 s); prints the
 * weights as the planner read them back with the simulated time they changed, and JSON lines
 * `traffic.canary_<tasks>.sim_seconds` / `.errors` / `.throttles`. Not part of `npm run bench`
 * (10,000 tasks take ~10 minutes of wall time).
 */
import { Harness } from '../local/harness';
import type { EnvironmentSpec } from '../domain/spec';
const tasks = Number(process.argv[2] ?? 1000);
const wall = performance.now();
const h = new Harness({
  seed: 1,
  services: {
    targetGroups: {
      'web-blue': { loadBalancer: 'web-alb', healthCheckIntervalSeconds: 10, healthyThresholdCount: 3 },
      'web-green': { loadBalancer: 'web-alb', healthCheckIntervalSeconds: 10, healthyThresholdCount: 3 },
    },
    loadBalancers: { 'web-alb': { requestsPerSecond: 100, listeners: [{ port: 80, rules: [{ priority: 1, forward: { 'web-blue': 100, 'web-green': 0 } }] }] } },
    traffic: {},
    alarms: {},
    quotas: { targetsPerTargetGroup: Math.max(1000, tasks) },
  } as never,
});
for (const td of ['web:1', 'web:2']) h.world.configureTaskDefinition(td, { startSeconds: 20, stopSeconds: 10, health: 'none' });
h.world.addInstances({ count: Math.ceil(tasks / 2), attributes: { stack: 'prod' } });
const elbv2 = h.services!.elbv2;
const [lb] = (await elbv2.describeLoadBalancers({ Names: ['web-alb'] })).LoadBalancers;
const [listener] = (await elbv2.describeListeners({ LoadBalancerArn: lb!.LoadBalancerArn })).Listeners;
const rule = (await elbv2.describeRules({ ListenerArn: listener!.ListenerArn })).Rules.find((r) => r.Priority !== 'default')!.RuleArn!;
const spec = {
  Name: 'Web/Canary', TaskDefinition: 'web:1', Cluster: 'default', DeploymentType: 'Service', DesiredCount: tasks,
  DeploymentConfiguration: { Method: 'Canary', MinHealthyPercent: 100, Steps: [{ SetWeight: 10 }, { Pause: { Seconds: 60 } }, { SetWeight: 50 }, { Pause: { Seconds: 60 } }] },
  Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
  TrafficRouting: { Alb: { ListenerRuleArn: rule, BlueTargetGroupArn: elbv2.targetGroupArn('web-blue')!, GreenTargetGroupArn: elbv2.targetGroupArn('web-green')! } },
} as EnvironmentSpec;
const activeOn = async (r: number) => { const s = await h.state('Web/Canary'); return s?.activeRevision === r && !s.deployment; };
await h.command({ type: 'CreateEnvironment', spec });
await h.command({ type: 'DeployRevision', name: 'Web/Canary', revision: 1 });
await h.runUntil(() => activeOn(1), 24 * 3600_000);
await h.command({ type: 'UpdateEnvironment', name: 'Web/Canary', baseRevision: 1, patch: { TaskDefinition: 'web:2' } });
const t0 = h.clock.now();
await h.command({ type: 'DeployRevision', name: 'Web/Canary', revision: 2 });
const seen: string[] = [];
await h.runUntil(async () => {
  const w = ((await h.state('Web/Canary'))?.engine?.traffic?.weights ?? []).map((g) => g.weight).join('/');
  if (seen.at(-1)?.split('@')[0] !== w) seen.push(`${w}@${Math.round((h.clock.now() - t0) / 1000)}s`);
  return activeOn(2);
}, 24 * 3600_000);
const running = h.world.describeTasks().filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING');
const emit = (name: string, value: number, unit: string) => console.log(JSON.stringify({ name: `traffic.canary_${tasks}.${name}`, value, unit }));
emit('sim_seconds', (h.clock.now() - t0) / 1000, 's');
emit('errors', h.errors.length, 'count');
emit('throttles', h.counts.throttles, 'count');
console.error(JSON.stringify({ tasks, simSeconds: (h.clock.now() - t0) / 1000, weights: seen, running: running.length, allWeb2: running.every((t) => t.taskDefinitionArn.endsWith('/web:2')), errors: h.errors.length, throttles: h.counts.throttles, wallSeconds: (performance.now() - wall) / 1000 }));
await h.stop();
