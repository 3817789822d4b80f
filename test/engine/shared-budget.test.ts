/**
 * Every ECS call comes from one budget below ECS's limits, shared by all environments: 50
 * environments deploying at once on one cluster finish with no ThrottlingException at all — while
 * the same load without the budget is throttled by the simulated ECS (which enforces ECS's limits),
 * so the check bites.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../domain/spec';
import { Harness } from '../../local/harness';

const ENVIRONMENTS = 50;
const INSTANCES_EACH = 4;
const name = (i: number) => `Fleet/Daemon-${i}`;

async function deployAll(budget: boolean): Promise<{ throttles: number; active: number }> {
  const h = new Harness({ seed: 11, budget });
  try {
    for (const td of ['agent:1', 'agent:2']) h.world.configureTaskDefinition(td, { startSeconds: 5, stopSeconds: 2, health: 'none' });
    for (let i = 0; i < ENVIRONMENTS; i++) h.world.addInstances({ count: INSTANCES_EACH, attributes: { fleet: `f${i}` } });
    const isActive = async (revision: number) => {
      let active = 0;
      for (let i = 0; i < ENVIRONMENTS; i++) {
        const s = await h.state(name(i));
        if (s?.activeRevision === revision && !s.deployment) active++;
      }
      return active;
    };
    for (let i = 0; i < ENVIRONMENTS; i++) {
      const spec = {
        Name: name(i),
        TaskDefinition: 'agent:1',
        Cluster: 'default',
        InstanceGroup: { Query: `attribute:fleet == f${i}` },
        DeploymentType: 'Daemon',
        DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 75 },
      } as EnvironmentSpec;
      await h.command({ type: 'CreateEnvironment', spec });
    }
    for (let i = 0; i < ENVIRONMENTS; i++) await h.command({ type: 'DeployRevision', name: name(i), revision: 1 });
    // Without the budget it is enough to see ECS throttle once (here already during the first deployment).
    await h.runUntil(async () => (await isActive(1)) === ENVIRONMENTS || (!budget && h.counts.throttles > 0), 3600_000);
    if (!budget && h.counts.throttles > 0) return { throttles: h.counts.throttles, active: await isActive(1) };
    for (let i = 0; i < ENVIRONMENTS; i++) await h.command({ type: 'UpdateEnvironment', name: name(i), baseRevision: 1, patch: { TaskDefinition: 'agent:2' } });
    for (let i = 0; i < ENVIRONMENTS; i++) await h.command({ type: 'DeployRevision', name: name(i), revision: 2 });
    let active = 0;
    // Without the budget it is enough to see ECS throttle once.
    await h.runUntil(async () => (active = await isActive(2)) === ENVIRONMENTS || (!budget && h.counts.throttles > 0), 3600_000);
    return { throttles: h.counts.throttles, active };
  } finally {
    await h.stop();
  }
}

describe('one ECS budget for every environment', () => {
  it(`${ENVIRONMENTS} environments deploying at once on one cluster: all Active, 0 throttling errors`, async () => {
    const result = await deployAll(true);
    expect(result.active).toBe(ENVIRONMENTS);
    expect(result.throttles).toBe(0);
  }, 300_000);

  it('without the budget the same load is throttled by ECS', async () => {
    const result = await deployAll(false);
    expect(result.throttles).toBeGreaterThan(0);
  }, 300_000);
});

/**
 * Service environments take their ECS calls (DescribeServices, CreateService, CreateTaskSet,
 * UpdateTaskSet, UpdateServicePrimaryTaskSet, …) from the same budget. ECS's service modify bucket
 * is small (50 at once, 5 a second): 30 services created at once need about 90 modify calls
 * (CreateService, CreateTaskSet, UpdateServicePrimaryTaskSet each), beyond its burst.
 */
const SERVICES = 30;
const serviceName = (i: number) => `Fleet/Web-${i}`;

async function deployServices(budget: boolean): Promise<{ throttled: number; active: number }> {
  const h = new Harness({ seed: 12, budget });
  try {
    h.world.configureTaskDefinition('web:1', { startSeconds: 5, stopSeconds: 2, health: 'none' });
    h.world.addInstances({ count: 10, attributes: { stack: 'prod' } });
    for (let i = 0; i < SERVICES; i++) {
      const spec = { Name: serviceName(i), TaskDefinition: 'web:1', Cluster: 'default', DeploymentType: 'Service', DesiredCount: 1 } as EnvironmentSpec;
      await h.command({ type: 'CreateEnvironment', spec });
    }
    for (let i = 0; i < SERVICES; i++) await h.command({ type: 'DeployRevision', name: serviceName(i), revision: 1 });
    const throttled = () => h.errors.filter((e) => (e as Error).name === 'ThrottlingException' || String(e).includes('Rate exceeded')).length;
    let active = 0;
    await h.runUntil(async () => {
      active = 0;
      for (let i = 0; i < SERVICES; i++) {
        const s = await h.state(serviceName(i));
        if (s?.activeRevision === 1 && !s.deployment) active++;
      }
      return active === SERVICES || (!budget && throttled() > 0);
    }, 3600_000);
    return { throttled: throttled(), active };
  } finally {
    await h.stop();
  }
}

describe('Service environments share the budget', () => {
  it(`${SERVICES} Service environments created and deployed at once: all Active, not one call throttled`, async () => {
    const result = await deployServices(true);
    expect(result.active).toBe(SERVICES);
    expect(result.throttled).toBe(0);
  }, 300_000);

  it('without the budget the same load is throttled by ECS', async () => {
    expect((await deployServices(false)).throttled).toBeGreaterThan(0);
  }, 300_000);
});
