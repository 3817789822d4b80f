/**
 * Simulated ELBv2 target groups over the simulated ECS cluster: the target health state machine on
 * the virtual clock (expected instants worked out in the comments), the API's errors and quotas,
 * and ELBv2's request throttling. Tasks start in 2 s and turn HEALTHY 1 s later (the world's
 * defaults); a task's first dynamic host port is 32768.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../local/sim/clock';
import type { SimulatedElbv2 } from '../../../local/sim/elbv2';
import { ELBV2_DEFAULTS, ELBV2_LIMITS, ELBV2_RATE_LIMITS } from '../../../local/sim/elbv2';
import type { SimServicesDescription } from '../../../local/sim/kernel';
import { createSimulatedServices } from '../../../local/sim/kernel';
import { SimulatedCluster } from '../../../local/sim/world';
import { START, T0 } from './helpers';

function bed(description: Partial<SimServicesDescription> = {}, options: { rateLimits?: false } = { rateLimits: false }) {
  const clock = new VirtualClock(T0);
  const world = new SimulatedCluster({ clock, rateLimits: false, taskDefaults: { cpu: 16, memory: 16 } });
  const instances = world.addInstances({ count: 2 });
  const services = createSimulatedServices({
    world,
    clock,
    description: { targetGroups: { web: {} }, traffic: {}, alarms: {}, ...description },
    ...(options.rateLimits === false ? { rateLimits: false } : {}),
  });
  const elb = services.elbv2;
  const arn = elb.targetGroupArn('web')!;
  const start = async (instance = 0, taskDefinition = 'web:1') => {
    const { tasks } = await world.startTask({ ...START, taskDefinition, containerInstances: [instances[instance]!.arn] });
    return tasks[0]!;
  };
  const health = async (targets?: Array<{ Id: string; Port?: number }>) =>
    (await elb.describeTargetHealth({ TargetGroupArn: arn, ...(targets ? { Targets: targets } : {}) })).TargetHealthDescriptions;
  return { clock, world, instances, services, elb, arn, start, health, ec2: instances.map((i) => i.ec2InstanceId) };
}

async function refusal(call: Promise<unknown>): Promise<{ name: string; Code?: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return error as { name: string; Code?: string; message: string };
  }
  throw new Error('expected the call to be refused');
}

describe('simulated ELBv2: target health', () => {
  it("uses ELBv2's defaults: interval 30 s, healthy 5, unhealthy 2, deregistration delay 300 s", async () => {
    expect(ELBV2_DEFAULTS).toMatchObject({ healthCheckIntervalSeconds: 30, healthyThresholdCount: 5, unhealthyThresholdCount: 2, deregistrationDelaySeconds: 300 });
    const { elb } = bed();
    const [group] = (await elb.describeTargetGroups({ Names: ['web'] })).TargetGroups;
    expect(group).toMatchObject({ TargetGroupName: 'web', Port: 80, Protocol: 'HTTP', HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, TargetType: 'instance' });
    expect(group!.TargetGroupArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/web\/[0-9a-f]{16}$/);
  });

  it('a target registered at R is initial until its 5th passed check at R + 150 s (5 × 30 s), then healthy', async () => {
    const { clock, elb, arn, start, health, ec2 } = bed();
    await start(); // placed at 0 s, RUNNING at 2 s, HEALTHY at 3 s: listening on 32768
    clock.advance(3_000);
    const R = clock.now();
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]!, Port: 32768 }] });
    expect(await health()).toEqual([
      { Target: { Id: ec2[0], Port: 32768 }, HealthCheckPort: '32768', TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' } },
    ]);
    clock.runUntil(R + 30_000); // 1st check passed
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' });
    clock.runUntil(R + 149_999); // 4 passed checks (30, 60, 90, 120 s)
    expect((await health())[0]!.TargetHealth.State).toBe('initial');
    clock.runUntil(R + 150_000); // the 5th
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'healthy' });
  });

  it('a healthy target whose task turns UNHEALTHY is unhealthy at the 2nd failed check (ResponseCodeMismatch 500); a stopped task fails with FailedHealthChecks', async () => {
    const { clock, world, elb, arn, start, health, ec2 } = bed();
    const task = await start();
    const other = await start(1);
    clock.advance(3_000);
    const R = clock.now(); // 3 s
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]!, Port: 32768 }, { Id: ec2[1]!, Port: 32768 }] });
    clock.runUntil(R + 150_000);
    expect((await health()).map((d) => d.TargetHealth.State)).toEqual(['healthy', 'healthy']);

    clock.runUntil(R + 160_000);
    world.setTaskHealth(task.arn, 'UNHEALTHY'); // between the checks at R+150 and R+180
    await world.stopTask('default', other.arn, 'gone'); // STOPPING now: the port refuses connections
    clock.runUntil(R + 180_000); // 1st failed check: still healthy (threshold 2)
    expect((await health()).map((d) => d.TargetHealth.State)).toEqual(['healthy', 'healthy']);
    clock.runUntil(R + 209_999);
    expect((await health()).map((d) => d.TargetHealth.State)).toEqual(['healthy', 'healthy']);
    clock.runUntil(R + 210_000); // 2nd failed check
    expect((await health()).map((d) => d.TargetHealth)).toEqual([
      { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]' },
      { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' },
    ]);

    // Healthy again after 5 passed checks: the task recovers at R+215, checks pass at R+240 … R+360.
    clock.runUntil(R + 215_000);
    world.setTaskHealth(task.arn, 'HEALTHY');
    clock.runUntil(R + 359_999);
    expect((await health())[0]!.TargetHealth.State).toBe('unhealthy');
    clock.runUntil(R + 360_000);
    expect((await health())[0]!.TargetHealth.State).toBe('healthy');
  });

  it('a target registered before its task answers goes unhealthy after 2 failed checks (from initial)', async () => {
    const { clock, elb, arn, health, ec2 } = bed();
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]! }] }); // port 80: nothing listens
    clock.runUntil(T0 + 30_000);
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' });
    clock.runUntil(T0 + 60_000);
    expect((await health())[0]).toEqual({ Target: { Id: ec2[0], Port: 80 }, HealthCheckPort: '80', TargetHealth: { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' } });
  });

  it('a deregistered target is draining for the deregistration delay, then gone (unused, NotRegistered when asked for)', async () => {
    const { clock, elb, arn, start, health, ec2 } = bed({ targetGroups: { web: { deregistrationDelaySeconds: 120 } } });
    await start();
    clock.advance(3_000);
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]!, Port: 32768 }] });
    clock.advance(150_000); // healthy at 153 s
    const D = clock.now();
    await elb.deregisterTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]!, Port: 32768 }] });
    const draining = { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' };
    expect((await health())[0]!.TargetHealth).toEqual(draining);
    clock.runUntil(D + 119_999);
    expect((await health())[0]!.TargetHealth).toEqual(draining);
    clock.runUntil(D + 120_000);
    expect(await health()).toEqual([]);
    expect(await health([{ Id: ec2[0]!, Port: 32768 }])).toEqual([
      { Target: { Id: ec2[0], Port: 32768 }, HealthCheckPort: '32768', TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' } },
    ]);
    // Deregistering what is not registered is a silent no-op, as in ELBv2.
    await expect(elb.deregisterTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]!, Port: 32768 }] })).resolves.toEqual({});
  });

  it('registering a target again while it drains (its task still answering) starts it over: initial, healthy 150 s after the new registration', async () => {
    const { clock, elb, arn, start, health, ec2 } = bed();
    await start(); // RUNNING at 2 s on 32768, and stays so
    clock.advance(3_000);
    const target = { Id: ec2[0]!, Port: 32768 };
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [target] });
    clock.advance(150_000); // healthy at 153 s
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'healthy' });
    const D = clock.now();
    await elb.deregisterTargets({ TargetGroupArn: arn, Targets: [target] });
    clock.runUntil(D + 10_000);
    expect((await health())[0]!.TargetHealth.State).toBe('draining'); // the task answers: it drains for the delay
    const R = clock.now();
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [target] });
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' });
    clock.runUntil(R + 30_000); // checked from the new registration: 1 passed check, not the 5 it had
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' });
    clock.runUntil(R + 149_999); // 4 passed checks (R+30 … R+120)
    expect((await health())[0]!.TargetHealth.State).toBe('initial');
    clock.runUntil(R + 150_000); // the 5th
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'healthy' });
    clock.runUntil(D + 400_000); // past the old deregistration's 300 s: it was called off, still registered
    expect(await health()).toEqual([{ Target: target, HealthCheckPort: '32768', TargetHealth: { State: 'healthy' } }]);
  });

  it('a draining target whose task stops has nothing left to drain: its deregistration completes at once, not after the 300 s delay', async () => {
    const { clock, world, elb, arn, start, health, ec2 } = bed();
    const task = await start();
    clock.advance(3_000);
    const target = { Id: ec2[0]!, Port: 32768 };
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [target] });
    clock.advance(150_000);
    await elb.deregisterTargets({ TargetGroupArn: arn, Targets: [target] });
    clock.advance(10_000);
    expect((await health())[0]!.TargetHealth.State).toBe('draining');
    await world.stopTask('default', task.arn, 'gone'); // STOPPING: the port refuses connections
    clock.advance(0); // the same instant
    expect(await health()).toEqual([]);
    expect((await health([target]))[0]!.TargetHealth).toEqual({ State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' });
  });

  it('deregistering a target nothing answers at (task stopped, or instance terminated) completes at once', async () => {
    const { clock, world, elb, arn, start, health, ec2, instances } = bed();
    const task = await start(0);
    await start(1);
    clock.advance(3_000);
    const targets = [
      { Id: ec2[0]!, Port: 32768 },
      { Id: ec2[1]!, Port: 32768 },
    ];
    await elb.registerTargets({ TargetGroupArn: arn, Targets: targets });
    clock.advance(150_000);
    await world.stopTask('default', task.arn, 'gone');
    world.removeInstance(instances[1]!.arn);
    await elb.deregisterTargets({ TargetGroupArn: arn, Targets: targets });
    expect(await health()).toEqual([]);
  });

  it('a draining target on an instance that is terminated is deregistered at once', async () => {
    const { clock, world, elb, arn, start, health, ec2, instances } = bed();
    await start();
    clock.advance(3_000);
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]!, Port: 32768 }] });
    clock.advance(150_000);
    await elb.deregisterTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]!, Port: 32768 }] });
    expect((await health())[0]!.TargetHealth.State).toBe('draining');
    world.removeInstance(instances[0]!.arn); // its task stops at once
    clock.advance(0);
    expect(await health()).toEqual([]);
  });

  it('a terminated instance makes its target unused (Target.InvalidState) at the next check', async () => {
    const { clock, world, elb, arn, start, health, ec2, instances } = bed();
    await start();
    clock.advance(3_000);
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]!, Port: 32768 }] });
    clock.advance(150_000);
    world.removeInstance(instances[0]!.arn);
    clock.advance(30_000);
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the stopped or terminated state' });
  });

  it('registers the tasks of `registerTasksOf` when RUNNING and deregisters them when they stop, as ECS does for a service', async () => {
    const { clock, world, start, health, ec2 } = bed({ targetGroups: { web: { registerTasksOf: 'web' } } });
    const task = await start(0, 'web:1');
    await start(1, 'other:1');
    clock.advance(2_000); // RUNNING: registered
    expect((await health()).map((d) => [d.Target, d.TargetHealth.State])).toEqual([[{ Id: ec2[0], Port: 32768 }, 'initial']]);
    await world.stopTask('default', task.arn, 'replaced');
    // Deregistered as it stops; nothing answers on its port any more, so the deregistration completes at once.
    expect(await health()).toEqual([]);
  });

  it('a new task on the host port an old one just stopped on is registered anew: initial, healthy 150 s after its registration (a rollback)', async () => {
    const { clock, world, services, start, health, ec2 } = bed({ targetGroups: { web: { registerTasksOf: 'web' } } });
    const old = await start(0, 'web:2');
    clock.advance(2_000); // RUNNING on 32768: registered
    clock.advance(150_000); // healthy 150 s later
    expect((await health()).map((d) => [d.Target, d.TargetHealth.State])).toEqual([[{ Id: ec2[0], Port: 32768 }, 'healthy']]);
    await world.stopTask('default', old.arn, 'rolled back');
    while (services.traffic.endpointOf(old.arn)) clock.advance(100); // until STOPPED: its port is free again
    await start(0, 'web:1'); // the lowest free host port: 32768 again
    clock.advance(1_999);
    expect(await health()).toEqual([]); // not RUNNING yet: nothing registered (the old target is gone, not draining)
    clock.advance(1);
    const R = clock.now(); // RUNNING: registered
    expect((await health()).map((d) => [d.Target, d.TargetHealth])).toEqual([
      [{ Id: ec2[0], Port: 32768 }, { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' }],
    ]);
    clock.runUntil(R + 149_999);
    expect((await health())[0]!.TargetHealth.State).toBe('initial');
    clock.runUntil(R + 150_000);
    expect((await health())[0]!.TargetHealth).toEqual({ State: 'healthy' });
  });
});

describe('simulated ELBv2: errors and quotas', () => {
  it('TargetGroupNotFound, a bad ARN, a bad port (ValidationError naming the member), unknown and stopped instances (InvalidTarget)', async () => {
    const { world, elb, arn, ec2, instances } = bed();
    const missing = arn.replace(/[0-9a-f]{16}$/, '0000000000000000');
    expect(await refusal(elb.describeTargetHealth({ TargetGroupArn: missing }))).toMatchObject({
      name: 'TargetGroupNotFoundException',
      Code: 'TargetGroupNotFound',
      message: `Target groups '${missing}' not found`,
    });
    expect(await refusal(elb.registerTargets({ TargetGroupArn: 'web', Targets: [{ Id: ec2[0]! }] }))).toMatchObject({ name: 'ValidationError', message: "'web' is not a valid target group ARN" });
    expect(await refusal(elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]! }, { Id: ec2[1]!, Port: 70000 }] }))).toMatchObject({
      name: 'ValidationError',
      message: "1 validation error detected: Value '70000' at 'targets.2.member.port' failed to satisfy constraint: Member must have value less than or equal to 65535",
    });
    expect(await refusal(elb.registerTargets({ TargetGroupArn: arn, Targets: [] }))).toMatchObject({ name: 'ValidationError', message: expect.stringContaining("at 'targets'") });
    expect(await refusal(elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: 'i-0123456789abcdef0' }] }))).toMatchObject({ name: 'InvalidTargetException', Code: 'InvalidTarget' });
    world.removeInstance(instances[1]!.arn);
    expect(await refusal(elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]! }, { Id: ec2[1]! }] }))).toMatchObject({
      name: 'InvalidTargetException',
      message: `The following targets are not in a running state and cannot be registered: '${ec2[1]}'`,
    });
    expect((await elb.describeTargetHealth({ TargetGroupArn: arn })).TargetHealthDescriptions).toEqual([]); // nothing registered by a refused call
  });

  it('1,000 targets per target group: a registration past it is TooManyTargets and registers nothing', async () => {
    const { elb, arn, ec2 } = bed();
    expect(ELBV2_LIMITS.targetsPerTargetGroup).toBe(1000);
    const targets = (id: string, from: number, count: number) => Array.from({ length: count }, (_, i) => ({ Id: id, Port: from + i }));
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [...targets(ec2[0]!, 40000, 500), ...targets(ec2[1]!, 40000, 499)] }); // 999
    expect(await refusal(elb.registerTargets({ TargetGroupArn: arn, Targets: targets(ec2[1]!, 50000, 2) }))).toMatchObject({
      name: 'TooManyTargetsException',
      Code: 'TooManyTargets',
      message: "You've reached the limit on the number of targets.",
    });
    expect((await elb.describeTargetHealth({ TargetGroupArn: arn })).TargetHealthDescriptions).toHaveLength(999);
    await elb.registerTargets({ TargetGroupArn: arn, Targets: [...targets(ec2[1]!, 50000, 1), { Id: ec2[0]!, Port: 40000 }] }); // 1,000: one new, one already there
    expect((await elb.describeTargetHealth({ TargetGroupArn: arn })).TargetHealthDescriptions).toHaveLength(1000);
  });

  it('refuses bad target group settings with ValidationError naming the setting, and another group of the same name with other settings', () => {
    const { elb } = bed();
    expect(() => elb.createTargetGroup({ name: 'api', healthyThresholdCount: 11 })).toThrow(
      "1 validation error detected: Value '11' at 'healthyThresholdCount' failed to satisfy constraint: Member must have value less than or equal to 10",
    );
    expect(() => elb.createTargetGroup({ name: 'api', healthCheckIntervalSeconds: 4 })).toThrow(/'healthCheckIntervalSeconds'.*greater than or equal to 5/);
    expect(() => elb.createTargetGroup({ name: 'api', deregistrationDelaySeconds: 3601 })).toThrow(/deregistration_delay\.timeout_seconds/);
    expect(() => elb.createTargetGroup({ name: '-api' })).toThrow(/must not begin or end with a hyphen/);
    expect(() => elb.createTargetGroup({ name: 'x'.repeat(33) })).toThrow(/cannot be longer than '32' characters/);
    expect(elb.createTargetGroup({ name: 'web' }).TargetGroupArn).toBe(elb.targetGroupArn('web')); // same settings: the same group
    expect(() => elb.createTargetGroup({ name: 'web', port: 8080 })).toThrow(expect.objectContaining({ name: 'DuplicateTargetGroupNameException' }));
  });
});

describe("simulated ELBv2: ELB's request throttling", () => {
  const outcome = async (call: Promise<unknown>) =>
    call.then(
      () => 'ok',
      (error: { name: string; message: string }) => (error.name === 'ThrottlingException' && error.message === 'Rate exceeded' ? 'throttled' : Promise.reject(error)),
    );

  it('Describe*: 40 at once, then 10 a second; registrations: 20 at once, 4 a second; all actions share the account bucket of 40', async () => {
    expect(ELBV2_RATE_LIMITS).toMatchObject({ account: { capacity: 40, refillPerSecond: 10 }, registration: { capacity: 20, refillPerSecond: 4 }, 'non-mutating': { capacity: 40, refillPerSecond: 10 } });
    const { clock, elb, arn, ec2 } = bed({}, {});
    for (let i = 0; i < 40; i++) expect(await outcome(elb.describeTargetHealth({ TargetGroupArn: arn }))).toBe('ok');
    expect(await outcome(elb.describeTargetHealth({ TargetGroupArn: arn }))).toBe('throttled');
    // The account bucket is empty too: a registration is throttled although its own bucket is full.
    expect(await outcome(elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]! }] }))).toBe('throttled');
    expect(elb.rateLimitTokens('registration')).toBe(20);
    clock.advance(99); // 0.99 of a token (10 a second)
    expect(await outcome(elb.describeTargetHealth({ TargetGroupArn: arn }))).toBe('throttled');
    clock.advance(1);
    expect(await outcome(elb.describeTargetHealth({ TargetGroupArn: arn }))).toBe('ok');

    clock.advance(10_000); // everything full again
    for (let i = 0; i < 20; i++) expect(await outcome(elb.registerTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]! }] }))).toBe('ok');
    expect(await outcome(elb.deregisterTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]! }] }))).toBe('throttled');
    expect((await elb.describeTargetHealth({ TargetGroupArn: arn })).TargetHealthDescriptions[0]!.TargetHealth.State).toBe('initial'); // the throttled call changed nothing
    clock.advance(250); // one registration token (4 a second)
    expect(await outcome(elb.deregisterTargets({ TargetGroupArn: arn, Targets: [{ Id: ec2[0]! }] }))).toBe('ok');
  });

  it("registrations ECS makes on the caller's behalf are not charged", async () => {
    const services = bed({ targetGroups: { web: { registerTasksOf: 'web' } } }, {});
    for (let i = 0; i < 30; i++) await services.start(i % 2);
    services.clock.advance(2_000); // 30 registrations
    const elb: SimulatedElbv2 = services.elb;
    expect(elb.rateLimitTokens('registration')).toBe(20);
    expect((await elb.describeTargetHealth({ TargetGroupArn: services.arn })).TargetHealthDescriptions).toHaveLength(30);
  });
});
