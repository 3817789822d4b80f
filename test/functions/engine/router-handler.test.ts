/**
 * The router function with recorded sample events (events/samples/), a MemoryEventLog and a
 * captured reconcile queue: which events become requests for which environments, what is dropped,
 * and wake-ups forwarded.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { startedByOf } from '../../../domain/identity';
import { ReconcileQueueSendError } from '../../../functions/adapters/sqs-reconcile-queue';
import { createRouterHandler, isSqsEvent, STARTED_BY_PREFIX } from '../../../functions/engine/router-handler';
import type { EnvironmentSpec } from '../../../domain/spec';
import { Bed, lambdaContext, NAME, sample, spec, sqsEvent, sqsRecord } from './support';

const OTHER = 'Other/Staging';
let bed: Bed;
let handler: ReturnType<typeof createRouterHandler>;

beforeEach(async () => {
  bed = new Bed();
  bed.world.addInstances({ count: 3, attributes: { stack: 'prod' } });
  handler = createRouterHandler(bed.routerDeps);
});

/** The task sample, as a task Blox started for `environment`. */
function taskEventFor(environment: string, file = 'ecs-task-running-ec2.json') {
  const event = sample(file);
  event.detail.startedBy = startedByOf(environment);
  return event;
}

const requested = () => bed.requests.map((r) => r.environment).sort();

describe('router: EventBridge events', () => {
  it('a task event of an environment (its startedBy) becomes one request for that environment, named by the event id', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER);
    const event = taskEventFor(NAME);
    const version = (await bed.eventLog.load(NAME))!.version;

    await handler(event, lambdaContext());

    // It carries what the event says changed (the recorded sample's detail, by hand).
    expect(bed.requests).toEqual([
      {
        environment: NAME,
        trigger: 'task',
        eventId: event.id,
        change: {
          kind: 'task',
          arn: 'arn:aws:ecs:us-east-1:111122223333:task/b99d40b3-5176-4f71-9a52-9dbd6f1cebef',
          instanceArn: 'arn:aws:ecs:us-east-1:111122223333:container-instance/b54a2a04-046f-4331-9d74-3f6d7f6ca315',
          group: 'task-group',
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          health: 'UNKNOWN',
          version: 4,
        },
      },
    ]);
    // The router reconciles nothing: no plan, no action, no write.
    expect(bed.enqueued).toEqual([]);
    expect((await bed.eventLog.load(NAME))!.version).toBe(version);
  });

  it('the tick becomes a request for every environment with a deployment in progress', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER);
    await bed.run({ type: 'CreateEnvironment', spec: { ...(await bed.eventLog.load(NAME))!.latestSpec, Name: 'Idle/Env' }, at: bed.at() });
    const tick = sample('scheduled-event.json');

    await handler(tick, lambdaContext());

    expect(requested()).toEqual([OTHER, NAME].sort());
    expect(bed.requests.every((r) => r.trigger === 'tick' && r.eventId === tick.id)).toBe(true);
  });

  it('a container instance event becomes requests for the environments deploying on that cluster', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER, { Cluster: 'blue' });
    await handler(sample('ecs-container-instance-draining.json'), lambdaContext());
    expect(bed.requests.map((r) => [r.environment, r.trigger])).toEqual([[NAME, 'containerInstance']]);
  });

  it('an ECS event that cannot change a plan concerns nobody: no listing, no request', async () => {
    await bed.deploying(NAME);
    const listing = vi.spyOn(bed.eventLog, 'deployingEnvironments');
    // A task on its way down (STOPPING), and an established instance whose free resources changed.
    const stopping = taskEventFor(NAME, 'ecs-task-pending.json');
    stopping.detail.lastStatus = 'STOPPING';
    stopping.detail.desiredStatus = 'STOPPED';
    await handler(stopping, lambdaContext());
    const resources = sample('ecs-container-instance-active.json');
    resources.detail.registeredAt = '2016-01-01T00:00:00.000Z'; // months before the event
    await handler(resources, lambdaContext());
    expect(listing).not.toHaveBeenCalled();
    expect(bed.requests).toEqual([]);
    // A task that is up, or gone, does.
    await handler(taskEventFor(NAME, 'ecs-task-stopped-essential-container-exited.json'), lambdaContext());
    expect(bed.requests.map((r) => r.environment)).toEqual([NAME]);
  });

  it('a task event of a task Blox did not start (a service task) concerns nobody: no listing, no request', async () => {
    await bed.deploying(NAME);
    const listing = vi.spyOn(bed.eventLog, 'listEnvironments');
    await handler(sample('ecs-task-running-ec2.json'), lambdaContext());
    expect(listing).not.toHaveBeenCalled();
    expect(bed.requests).toEqual([]);
  });

  it("a task of a Service environment's ECS service (startedBy its task set, group service:<name>) reaches that environment only", async () => {
    await bed.deploying(NAME, { DeploymentType: 'Service', DesiredCount: 2, InstanceGroup: undefined, DeploymentConfiguration: { Method: 'Rolling' }, Service: { ServiceName: 'web-prod' } });
    await bed.deploying(OTHER);
    const event = sample('ecs-task-running-ec2.json');
    event.detail.startedBy = 'ecs-svc/1234567890123456789';
    event.detail.group = 'service:web-prod';
    const atRest = vi.spyOn(bed.eventLog, 'servingEnvironments');
    await handler(event, lambdaContext());
    expect(requested()).toEqual([NAME]);
    // Found deploying: the index's partition of Services at rest is not read (one query an event, as before).
    expect(atRest).not.toHaveBeenCalled();
    // Another service's task concerns nobody.
    bed.requests.length = 0;
    event.detail.group = 'service:web-staging';
    await handler({ ...event, id: 'other-service' }, lambdaContext());
    expect(bed.requests).toEqual([]);
  });

  it("a Service at rest (its service runs): its tasks' events and the tick reach it (Application Auto Scaling's counts are recorded); a container instance event does not; a Daemon at rest gets nothing", async () => {
    const service = { DeploymentType: 'Service', DesiredCount: 2, InstanceGroup: undefined, DeploymentConfiguration: { Method: 'Rolling' }, Service: { ServiceName: 'web-prod' } } as Partial<EnvironmentSpec>;
    await bed.deploying(NAME, service);
    await bed.completed(NAME);
    await bed.deploying(OTHER);
    await bed.completed(OTHER);
    const event = sample('ecs-task-running-ec2.json');
    event.detail.startedBy = 'ecs-svc/1234567890123456789';
    event.detail.group = 'service:web-prod';
    await handler(event, lambdaContext());
    expect(bed.requests.map((r) => [r.environment, r.trigger])).toEqual([[NAME, 'task']]);
    bed.requests.length = 0;
    await handler(sample('scheduled-event.json'), lambdaContext());
    expect(bed.requests.map((r) => [r.environment, r.trigger])).toEqual([[NAME, 'tick']]);
    bed.requests.length = 0;
    await handler(sample('ecs-container-instance-draining.json'), lambdaContext());
    expect(bed.requests).toEqual([]);
  });

  it('a task event of another cluster concerns nobody', async () => {
    await bed.deploying(NAME, { Cluster: 'blue' });
    await handler(taskEventFor(NAME), lambdaContext());
    expect(bed.requests).toEqual([]);
  });

  it('an alarm event becomes a request for each environment watching the alarm (the alarm index), carrying its new state and when it entered it', async () => {
    const watching = { DeploymentConfiguration: { Alarms: { AlarmNames: ['ServerCpuTooHigh'] } } } as Partial<EnvironmentSpec>;
    await bed.deploying(NAME, watching);
    await bed.deploying(OTHER); // watches nothing
    await bed.run({ type: 'CreateEnvironment', spec: spec('Idle/Env', watching), at: bed.at() }); // watches it, not deploying
    const event = sample('cloudwatch-alarm-ok-to-alarm.json');

    await handler(event, lambdaContext());

    const alarm = {
      name: 'ServerCpuTooHigh',
      value: 'ALARM',
      at: Date.parse('2019-10-02T17:04:40.989Z'), // "2019-10-02T17:04:40.989+0000"
      reason: 'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
    };
    expect([...bed.requests].sort((a, b) => a.environment.localeCompare(b.environment))).toEqual([
      { environment: 'Idle/Env', trigger: 'alarm', eventId: event.id, alarm },
      { environment: NAME, trigger: 'alarm', eventId: event.id, alarm },
    ]);
  });

  it('drops (logs, does not throw) malformed and unrecognized events; an alarm nobody watches concerns nobody', async () => {
    await bed.deploying(NAME);
    const warn = vi.spyOn(bed.logger, 'warn');
    const malformed = taskEventFor(NAME);
    delete malformed.detail.lastStatus;

    await expect(handler(malformed, lambdaContext())).resolves.toBeUndefined();
    await expect(handler({ hello: 'world' }, lambdaContext())).resolves.toBeUndefined();
    await expect(handler({ ...sample('scheduled-event.json'), source: 'aws.s3' }, lambdaContext())).resolves.toBeUndefined();
    await expect(handler(sample('cloudwatch-alarm-ok-to-alarm.json'), lambdaContext())).resolves.toBeUndefined();

    expect(warn).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls[0]![0]).toBe('event dropped');
    expect(JSON.stringify(warn.mock.calls[0]![1])).toContain('detail.lastStatus: missing');
    expect(JSON.stringify(warn.mock.calls[1]![1])).toContain('unrecognized event');
    expect(bed.requests).toEqual([]);
  });

  it('fails the invocation when the requests cannot be sent (Lambda retries it; the deduplication ids make that safe)', async () => {
    await bed.deploying(NAME);
    bed.routerDeps.reconciles.request = async () => Promise.reject(new Error('SQS unavailable'));
    await expect(handler(taskEventFor(NAME), lambdaContext())).rejects.toThrow('SQS unavailable');
  });

  it('logs what it routed', async () => {
    await bed.deploying(NAME);
    const info = vi.spyOn(bed.logger, 'info');
    await handler(taskEventFor(NAME), lambdaContext());
    expect(info).toHaveBeenCalledWith('routed', expect.objectContaining({ trigger: 'task', environments: [NAME] }));
  });
});

describe('router: SQS wake-ups', () => {
  const wakeup = (id: string, environment: string) => sqsRecord(id, JSON.stringify({ environment }));

  it('forwards each wake-up to the reconcile queue, named by its message id', async () => {
    const result = await handler(sqsEvent(wakeup('m1', NAME), wakeup('m2', OTHER), wakeup('m3', NAME)), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
    expect(bed.requests).toEqual([
      { environment: NAME, trigger: 'wakeup', eventId: 'wakeup:m1' },
      { environment: OTHER, trigger: 'wakeup', eventId: 'wakeup:m2' },
      { environment: NAME, trigger: 'wakeup', eventId: 'wakeup:m3' },
    ]);
  });

  it('reports malformed records, and forwards the others', async () => {
    const error = vi.spyOn(bed.logger, 'error');
    const result = await handler(sqsEvent(sqsRecord('m1', 'not json'), wakeup('m2', NAME), sqsRecord('m3', '{"env":"x"}')), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm3' }] });
    expect(bed.requests.map((r) => r.eventId)).toEqual(['wakeup:m2']);
    expect(error).toHaveBeenCalledWith('wake-up message refused', expect.objectContaining({ messageId: 'm1' }));
  });

  it('reports the wake-ups whose request SQS refused — only those', async () => {
    bed.routerDeps.reconciles.request = async (requests) => {
      const refused = requests.filter((r) => r.environment === OTHER);
      throw new ReconcileQueueSendError(refused.map((request) => ({ request, code: 'InternalError', message: '', senderFault: false })));
    };
    const result = await handler(sqsEvent(wakeup('m1', NAME), wakeup('m2', OTHER)), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
  });

  it('reports every wake-up when sending fails otherwise', async () => {
    bed.routerDeps.reconciles.request = async () => Promise.reject(new Error('network'));
    const result = await handler(sqsEvent(wakeup('m1', NAME), wakeup('m2', OTHER)), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
  });
});

describe('router: plumbing', () => {
  it('tells SQS batches from EventBridge events', () => {
    expect(isSqsEvent(sqsEvent(sqsRecord('m1', '{}')))).toBe(true);
    expect(isSqsEvent(sample('scheduled-event.json'))).toBe(false);
    expect(isSqsEvent({ Records: [] })).toBe(false);
    expect(isSqsEvent({ Records: [{ eventSource: 'aws:sns' }] })).toBe(false);
  });

  it('filters on the startedBy prefix every Blox task has', () => {
    expect(startedByOf(NAME).startsWith(STARTED_BY_PREFIX)).toBe(true);
    expect(startedByOf('x'.repeat(255)).startsWith(STARTED_BY_PREFIX)).toBe(true);
  });
});
