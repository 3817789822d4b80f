/**
 * The controls of a running deployment through the real handlers and store (DynamoDB Local):
 * POST /environments/{name}/deployment/pause|resume|promote|abort — bad input is a 400 naming the
 * field, a control that does not apply a 409 naming the state, and neither writes anything; each
 * accepted control is in the log with its caller (locally `local`) and reason; describe-environment
 * shows the pause; abort starts the rollback to the Active revision (trigger Abort). A Service
 * Canary deploys; promoting it before a Pause step is a 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import { appendWithRetry } from '../../functions/commands';
import type { TestApi } from '../support/api';
import { startLocalApi } from '../../local/api';
import { env, startTestApi } from '../support/api';

const NAME = 'Api/Controls';
const SPEC = { Name: NAME, TaskDefinition: 'log-daemon:1', DeploymentType: 'Daemon', InstanceGroup: { Query: 'attribute:stack == prod' }, DeploymentConfiguration: { BakeSeconds: 600 } };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const control = (verb: string, body?: unknown, headers?: Record<string, string>) => api.call('POST', `${env(NAME)}/deployment/${verb}`, body, headers);
/** What the engine would record (there is no engine here), appended the way it appends. */
async function record(events: EnvironmentEvent[]): Promise<void> {
  await appendWithRetry(api.eventLog, NAME, () => ({ events }), { attempts: 1 });
}

describe('POST /environments/{name}/deployment/…', () => {
  it('with no deployment in progress: 409 for each control, naming it; bad input is a 400 naming the field; nothing is written', async () => {
    expect((await api.call('POST', '/environments', SPEC)).status).toBe(201);
    const version = (await api.eventLog.load(NAME))?.version;
    for (const verb of ['pause', 'resume', 'promote', 'abort']) {
      const refused = await control(verb);
      expect(refused.status, verb).toBe(409);
      expect(refused.body.error.message).toBe(`"${NAME}" has no deployment in progress: ${verb}-deployment applies to a running deployment`);
    }
    const badFull = await control('promote', { Full: 'yes' });
    expect(badFull.status).toBe(400);
    expect(badFull.body.error).toMatchObject({ field: 'Full', message: 'Full: expected true or false' });
    const badReason = await control('pause', { Reason: 42 });
    expect(badReason.body.error).toMatchObject({ field: 'Reason' });
    const unknown = await control('pause', { Full: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.field).toBe('Full');
    expect((await api.call('POST', `${env('Api/Nobody')}/deployment/pause`)).status).toBe(404);
    expect((await api.eventLog.load(NAME))?.version).toBe(version);
  });

  it('the first deployment: pause (200, shown by describe), pause again 409, resume, promote with no bake 409, abort 409 (nothing to roll back to)', async () => {
    expect((await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 1 })).status).toBe(201);
    const paused = await control('pause', { Reason: 'checking the dashboards' }, { 'idempotency-key': 'pause-1' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ EnvironmentName: NAME, Status: 'Deploying', Paused: { By: 'local', Reason: 'checking the dashboards' } });
    // The same idempotency key replays the first answer.
    expect(await control('pause', { Reason: 'checking the dashboards' }, { 'idempotency-key': 'pause-1' })).toEqual(paused);
    const described = await api.call('GET', env(NAME));
    expect(described.body.Deployment).toMatchObject({ Paused: { Since: paused.body.Paused.Since, By: 'local', Reason: 'checking the dashboards' }, BakeEndsAt: null });
    const again = await control('pause');
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/is already paused since .* by local: resume-deployment to go on$/);
    const resumed = await control('resume');
    expect(resumed).toMatchObject({ status: 200, body: { Paused: null } });
    expect((await control('resume')).body.error.message).toMatch(/is not paused \(it is Deploying\): nothing to resume$/);
    expect((await control('promote', { Full: true })).body.error.message).toMatch(/has nothing to promote: it is rolling out \(no bake or pause in progress\)$/);
    const abort = await control('abort');
    expect(abort.status).toBe(409);
    expect(abort.body.error.message).toMatch(/has no revision to roll back to \(it is the first deployment of the environment\)/);
    const types = (await api.eventLog.readEvents(NAME)).map((e) => e.event);
    expect(types.filter((e) => e.type === 'DeploymentPaused' || e.type === 'DeploymentUnpaused')).toMatchObject([
      { type: 'DeploymentPaused', caller: 'local', reason: 'checking the dashboards' },
      { type: 'DeploymentUnpaused', caller: 'local' },
    ]);
  });

  it('revision 2 baking: promote (the bake ends now), then abort → rollback to 1 with trigger Abort', async () => {
    const deploying = (await api.eventLog.load(NAME))!;
    await record([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: Date.parse(deploying.updatedAt) + 1000 }]);
    expect((await api.call('POST', `${env(NAME)}/revisions`, { Revision: 1, TaskDefinition: 'log-daemon:2' })).status).toBe(201);
    expect((await api.call('POST', `${env(NAME)}/deployments`, { EnvironmentRevision: 2 })).status).toBe(201);
    const bakeFrom = Date.now();
    await record([{ type: 'BakeStarted', at: bakeFrom }]);
    expect((await api.call('GET', env(NAME))).body.Deployment).toMatchObject({ Phase: 'Baking', BakeEndsAt: new Date(bakeFrom + 600_000).toISOString() });
    const promoted = await control('promote', { Reason: 'looks good' });
    expect(promoted.status).toBe(200);
    const promotedEvent = (await api.eventLog.readEvents(NAME)).map((e) => e.event).find((e) => e.type === 'DeploymentPromoted');
    expect(promotedEvent).toMatchObject({ full: false, ends: 'Bake', caller: 'local', reason: 'looks good' });
    expect(Date.parse((await api.call('GET', env(NAME))).body.Deployment.BakeEndsAt)).toBeLessThan(bakeFrom + 600_000);
    const aborted = await control('abort', { Reason: 'error rate' });
    expect(aborted.status).toBe(201);
    expect(aborted.body).toMatchObject({ AbortedDeploymentId: expect.stringMatching(/^Api\/Controls:2@/), DeploymentId: expect.stringMatching(/^Api\/Controls:1@/), EnvironmentRevision: 1 });
    const described = (await api.call('GET', env(NAME))).body;
    expect(described.Deployment).toMatchObject({ Revision: 1, Kind: 'rollback', Trigger: 'Abort', Reason: 'abort-deployment by local: error rate' });
    const status = (await api.call('GET', `${env(NAME)}/status`)).body;
    expect(status.Revisions.map((r: { EnvironmentRevision: number; Status: string }) => [r.EnvironmentRevision, r.Status])).toEqual([
      [1, 'Deploying'],
      [2, 'Reverting'],
    ]);
    // Aborting the rollback is refused.
    expect((await control('abort')).body.error.message).toMatch(/is a rollback: abort-deployment rolls a deployment back/);
  });

  it('a Service Canary deploys (201); promote-deployment before any Pause step is a 409 saying so', async () => {
    const tg = (n: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${n}/0123456789abcdef`;
    const canary = {
      Name: 'Api/Canary',
      TaskDefinition: 'web:1',
      DeploymentType: 'Service',
      DesiredCount: 2,
      DeploymentConfiguration: { Method: 'Canary', Steps: [{ SetWeight: 10 }, { Pause: {} }] },
      Service: { LoadBalancer: { ContainerName: 'web', ContainerPort: 80 } },
      TrafficRouting: { Alb: { ListenerRuleArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee', BlueTargetGroupArn: tg('blue'), GreenTargetGroupArn: tg('green') } },
    };
    expect((await api.call('POST', '/environments', canary)).status).toBe(201);
    const deploy = await api.call('POST', `${env('Api/Canary')}/deployments`, { EnvironmentRevision: 1 });
    expect(deploy.status).toBe(201);
    expect((await api.call('GET', env('Api/Canary'))).body).toMatchObject({ Status: 'Deploying' });
    // No plan ran yet (no engine here): no step in progress, nothing to promote.
    const promote = await api.call('POST', `${env('Api/Canary')}/deployment/promote`, {});
    expect(promote.status).toBe(409);
    expect(promote.body.error.message).toMatch(/has nothing to promote: it is rolling out \(no bake or pause in progress\)/);
  });
});

describe('the planner is woken at once by resume, promote and abort (not by pause)', () => {
  it('schedules a reconcile after an accepted resume; not after a pause, nor after a refused promote', async () => {
    const woken: string[] = [];
    const wakeups = { schedule: async (environment: string) => void woken.push(environment) };
    const other = await startLocalApi({ dynamoEndpoint: api.endpoint, tableName: api.tableName, extraDeps: { wakeups } });
    try {
      const name = 'Api/Wake';
      const call = (path: string, body?: unknown) => fetch(`${other.url}${env(name)}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
      expect((await fetch(`${other.url}/environments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...SPEC, Name: name }) })).status).toBe(201);
      expect((await call('/deployments', { EnvironmentRevision: 1 })).status).toBe(201);
      woken.length = 0;
      expect((await call('/deployment/pause')).status).toBe(200);
      expect(woken).toEqual([]);
      expect((await call('/deployment/resume')).status).toBe(200);
      expect(woken).toEqual([name]);
      expect((await call('/deployment/promote')).status).toBe(409); // refused: nothing woken
      expect(woken).toEqual([name]);
    } finally {
      await other.close();
    }
  });
});
