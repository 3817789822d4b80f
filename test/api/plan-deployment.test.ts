/**
 * `GET /environments/{name}/plan?revision=N` through the real handlers on DynamoDB Local. The
 * history comes from the engine itself: the deterministic harness deploys revisions 1 and 2 on its
 * simulated cluster, writing to the same table the API reads (tasks start in 5 s, are HEALTHY 2 s
 * later and stop in 3 s). The API observes that cluster through its read-only ports, plans
 * revision 3, and then the harness deploys revision 3 for real, to compare.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import { DynamoEventLog } from '../../functions/adapters/event-log';
import { Harness } from '../../local/harness';
import type { LocalApi } from '../../local/api';
import { startLocalApi } from '../../local/api';
import { simulatedTaskNeeds } from '../../local/stack';
import { env } from '../support/api';
import { freshTable } from '../support/store';

const NAME = 'Plan/Logs';
const spec = (revision: number) => ({
  Name: NAME,
  TaskDefinition: `log-daemon:${revision}`,
  Cluster: 'default',
  DeploymentType: 'Daemon' as const,
  InstanceGroup: { Query: 'attribute:stack == prod' },
  DeploymentConfiguration: { Method: 'Replace' as const, MinHealthyPercent: 75 },
});

let h: Harness;
let api: LocalApi;
let eventLog: DynamoEventLog;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field
async function call(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${api.url}${path}`);
  return { status: response.status, body: await response.json() };
}

const atRest = (revision: number) => async () => {
  const s = await h.state(NAME);
  return s?.activeRevision === revision && !s.deployment;
};

beforeAll(async () => {
  const { tableName, endpoint } = await freshTable();
  eventLog = new DynamoEventLog(createDocumentClient(endpoint), tableName);
  h = new Harness({ seed: 3, eventLog, world: { taskDefinitions: { 'log-daemon': { cpu: 512, memory: 1024, startSeconds: 5, stopSeconds: 3, healthyAfterSeconds: 2 } } } });
  h.world.addInstances({ count: 4, attributes: { stack: 'prod' } });
  h.world.addInstances({ count: 1, attributes: { stack: 'gamma' } });
  // given revisions 1 and 2 deployed, revision 3 created
  await h.command({ type: 'CreateEnvironment', spec: spec(1) });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 1 });
  await h.runUntil(atRest(1), 600_000);
  await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 1, patch: spec(2) });
  await h.command({ type: 'DeployRevision', name: NAME, revision: 2 });
  await h.runUntil(atRest(2), 600_000);
  await h.command({ type: 'UpdateEnvironment', name: NAME, baseRevision: 2, patch: spec(3) });
  api = await startLocalApi({
    dynamoEndpoint: endpoint,
    tableName,
    // As deployed: AWS's latencies and the minute tick (the harness's defaults too).
    extraDeps: { planning: { cluster: h.world, services: h.world, taskDefinitions: { needsOf: async (td) => simulatedTaskNeeds(h.world, td) } } },
  });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await h?.stop();
});

describe('GET /environments/{name}/plan', () => {
  it('plans revision 3 from the observed cluster and timings, writes nothing, and is within 5 % of the deployment that follows', async () => {
    const before = (await eventLog.load(NAME))!.version;
    // when
    const plan = await call(`${env(NAME)}/plan?revision=3`);
    // then
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({
      EnvironmentName: NAME,
      EnvironmentRevision: 3,
      ActiveRevision: 2,
      DeploymentType: 'Daemon',
      Method: 'Replace',
      Completes: true,
      // 4 instances of stack=prod (not the gamma one); MinHealthyPercent 75: ceil(4 × 0.75) = 3 stay ready
      DesiredCount: 4,
      LowestReadyCount: 3,
      LowestReadyPercent: 75,
      MostExtraTasks: 0,
      Seed: {
        Instances: 4,
        TaskNeeds: { Cpu: 512, Memory: 1024, HealthCheck: true },
        // 2048 CPU / 4096 MiB instances, one 512 / 1024 task each: 1536 / 3072 left, 3 more copies each, 12 in all
        Headroom: { MostOnOneInstance: 3, LeastOnOneInstance: 3, Total: 12 },
        // the world's own: start 5 s (ECS createdAt → startedAt, exact in the simulation), stop 3 s after it is asked
        Timings: { StartSeconds: 5, Sources: { start: 'observed', ready: 'observed', stop: 'observed' } },
      },
    });
    // the stop is asked through the queue and the executor (AWS's latencies): a little over 3 s; ready is
    // HEALTHY 2 s after RUNNING plus the engine's health poll (up to 1 s)
    expect(plan.body.Seed.Timings.StopSeconds).toBeGreaterThanOrEqual(3);
    expect(plan.body.Seed.Timings.StopSeconds).toBeLessThan(3.5);
    expect(plan.body.Seed.Timings.ReadySeconds).toBeGreaterThanOrEqual(2);
    expect(plan.body.Seed.Timings.ReadySeconds).toBeLessThanOrEqual(3.1);
    // one at a time (3 of 4 must stay ready): 4 stops and 4 launches
    const waves = plan.body.Steps as Array<{ Kind: string; Launches: number; Stops: number }>;
    expect(waves.every((s) => s.Kind === 'Wave')).toBe(true);
    expect(waves.reduce((n, s) => n + s.Stops, 0)).toBe(4);
    expect(waves.reduce((n, s) => n + s.Launches, 0)).toBe(4);
    expect((await eventLog.load(NAME))!.version).toBe(before);

    // and the deployment itself takes what was estimated, within 5 %
    await h.command({ type: 'DeployRevision', name: NAME, revision: 3 });
    const actual = (await h.runUntil(atRest(3), 600_000)) / 1000;
    expect(Math.abs(plan.body.EstimatedDurationSeconds - actual) / actual).toBeLessThan(0.05);
  });

  it('refuses bad input with a 4xx naming the field, and writes nothing', async () => {
    const before = (await eventLog.load(NAME))!.version;
    const missing = await call(`${env(NAME)}/plan`);
    expect(missing).toEqual({ status: 400, body: { error: { code: 'ValidationError', message: 'revision: is required', field: 'revision' } } });
    const malformed = await call(`${env(NAME)}/plan?revision=two`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/^revision: expected a revision number/);
    const unknownParameter = await call(`${env(NAME)}/plan?revision=3&speed=2`);
    expect(unknownParameter.status).toBe(400);
    expect(unknownParameter.body.error.message).toMatch(/^speed: unknown parameter/);
    const unknown = await call(`${env(NAME)}/plan?revision=9`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/^revision: revision 9 of "Plan\/Logs" does not exist/);
    const older = await call(`${env(NAME)}/plan?revision=1`);
    expect(older.status).toBe(409);
    expect(older.body.error.message).toMatch(/^revision: revision 1 is older than the Active revision 3/);
    const active = await call(`${env(NAME)}/plan?revision=3`);
    expect(active.status).toBe(409);
    expect(active.body.error.message).toMatch(/^revision: revision 3 is already Active/);
    const noEnvironment = await call(`${env('Plan/None')}/plan?revision=1`);
    expect(noEnvironment.status).toBe(404);
    expect((await eventLog.load(NAME))!.version).toBe(before);
  });
});
