/**
 * `BudgetedServices`: each Services method takes its ECS calls from the service buckets of the
 * budget before it calls through (what ECS counts: DescribeServices is a service read, the rest
 * service modify), under the budget's key for the cluster.
 */
import { describe, expect, it } from 'vitest';
import { BudgetedServices } from '../../../functions/adapters/budgeted-services';
import type { EcsBudget } from '../../../functions/ecs-budget-port';
import type { ClusterService, ServiceTaskSet, Services } from '../../../functions/ports';

function recorder() {
  const log: string[] = [];
  const budget: EcsBudget = {
    take: async (cluster, bucket, calls) => void log.push(`take ${cluster} ${bucket} ${calls}`),
    adjust: async (cluster, bucket, calls) => void log.push(`adjust ${cluster} ${bucket} ${calls}`),
  };
  const service = {} as ClusterService;
  const taskSet = {} as ServiceTaskSet;
  const inner: Services = {
    ensureService: async (input) => (log.push(`ensureService ${input.cluster} ${input.name}`), service),
    describeService: async (cluster, name) => (log.push(`describeService ${cluster} ${name}`), service),
    setDesiredCount: async (cluster, name, n) => (log.push(`setDesiredCount ${cluster} ${name} ${n}`), service),
    addTaskSet: async (input) => (log.push(`addTaskSet ${input.cluster} ${input.service}`), taskSet),
    scaleTaskSet: async (cluster, s, t, scale) => (log.push(`scaleTaskSet ${cluster} ${s} ${t} ${scale}`), taskSet),
    setPrimaryTaskSet: async (cluster, s, t) => (log.push(`setPrimaryTaskSet ${cluster} ${s} ${t}`), taskSet),
    removeTaskSet: async (cluster, s, t) => (log.push(`removeTaskSet ${cluster} ${s} ${t}`), taskSet),
    removeService: async (cluster, name) => (log.push(`removeService ${cluster} ${name}`), service),
  };
  return { log, services: new BudgetedServices(inner, budget, { budgetKey: () => 'account' }) };
}

describe('BudgetedServices', () => {
  it('takes one call from the right bucket before each call through', async () => {
    const { log, services } = recorder();
    await services.describeService('c', 'web');
    await services.setDesiredCount('c', 'web', 8);
    await services.addTaskSet({ cluster: 'c', service: 'web' } as Parameters<Services['addTaskSet']>[0]);
    await services.scaleTaskSet('c', 'web', 'ts-1', 50);
    await services.setPrimaryTaskSet('c', 'web', 'ts-1');
    await services.removeTaskSet('c', 'web', 'ts-0');
    await services.removeService('c', 'web');
    expect(log).toEqual([
      'take account service-read 1',
      'describeService c web',
      'take account service-modify 1',
      'setDesiredCount c web 8',
      'take account service-modify 1',
      'addTaskSet c web',
      'take account service-modify 1',
      'scaleTaskSet c web ts-1 50',
      'take account service-modify 1',
      'setPrimaryTaskSet c web ts-1',
      'take account service-modify 1',
      'removeTaskSet c web ts-0',
      'take account service-modify 1',
      'removeService c web',
    ]);
  });

  it('ensureService takes the most it may make: 2 DescribeServices and 1 CreateService', async () => {
    const { log, services } = recorder();
    await services.ensureService({ cluster: 'c', name: 'web', desiredCount: 4 });
    expect(log).toEqual(['take account service-read 2', 'take account service-modify 1', 'ensureService c web']);
  });
});
