/**
 * The planner function with recorded sample events (events/samples/), a MemoryEventLog and the
 * simulated cluster: which events reconcile which environments, what is dropped, and wake-ups.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { startedByOf } from '../../../domain/identity';
import { createPlannerHandler, isSqsEvent, STARTED_BY_PREFIX } from '../../../functions/engine/planner-handler';
import { Bed, lambdaContext, NAME, sample, sqsEvent, sqsRecord } from './support';

const OTHER = 'Other/Staging';
let bed: Bed;
let handler: ReturnType<typeof createPlannerHandler>;

beforeEach(async () => {
  bed = new Bed();
  bed.world.addInstances({ count: 3, attributes: { stack: 'prod' } });
  bed.world.addInstances({ count: 1, attributes: { stack: 'gamma' } });
  handler = createPlannerHandler(bed.deps);
});

/** The task sample, as a task Blox started for `environment`. */
function taskEventFor(environment: string, file = 'ecs-task-running-ec2.json') {
  const event = sample(file);
  event.detail.startedBy = startedByOf(environment);
  return event;
}

const environmentsOf = (actions: Array<{ environment: string }>) => [...new Set(actions.map((a) => a.environment))].sort();

describe('planner: EventBridge events', () => {
  it('a task event of an environment (its startedBy) reconciles that environment and enqueues its actions', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER);
    const before = (await bed.eventLog.load(NAME))!.version;

    await handler(taskEventFor(NAME), lambdaContext());

    // One StartTask per matching ACTIVE instance, for NAME only.
    expect(bed.enqueued.map((a) => a.type)).toEqual(['StartTask', 'StartTask', 'StartTask']);
    expect(environmentsOf(bed.enqueued)).toEqual([NAME]);
    const prod = bed.world.listContainerInstances('default', 'attribute:stack == prod');
    expect(bed.enqueued.map((a) => (a.type === 'StartTask' ? a.instanceArn : '')).sort()).toEqual((await prod).map((i) => i.arn).sort());
    expect((await bed.eventLog.load(NAME))!.version).toBeGreaterThan(before);
    // The other environment was not looked at.
    expect((await bed.eventLog.readEvents(OTHER)).map((e) => e.event.type)).not.toContain('TaskLaunchPlanned');
  });

  it('the tick reconciles every environment with a deployment in progress', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER);
    await bed.run({ type: 'CreateEnvironment', spec: { ...(await bed.eventLog.load(NAME))!.latestSpec, Name: 'Idle/Env' }, at: bed.at() });

    await handler(sample('scheduled-event.json'), lambdaContext());

    expect(environmentsOf(bed.enqueued)).toEqual([OTHER, NAME].sort());
    expect(bed.enqueued).toHaveLength(6);
  });

  it('a container instance event reconciles the environments deploying on that cluster', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER, { Cluster: 'blue' });

    await handler(sample('ecs-container-instance-active.json'), lambdaContext());

    expect(environmentsOf(bed.enqueued)).toEqual([NAME]);
  });

  it('a task event of a task Blox did not start (a service task) concerns nobody: no listing, no reconcile', async () => {
    await bed.deploying(NAME);
    const listing = vi.spyOn(bed.eventLog, 'listEnvironments');

    await handler(sample('ecs-task-running-ec2.json'), lambdaContext());

    expect(listing).not.toHaveBeenCalled();
    expect(bed.enqueued).toEqual([]);
  });

  it('a task event of another cluster does not reconcile the environment', async () => {
    await bed.deploying(NAME, { Cluster: 'blue' });
    await handler(taskEventFor(NAME), lambdaContext());
    expect(bed.enqueued).toEqual([]);
  });

  it('drops (logs, does not throw) malformed and unrecognized events', async () => {
    await bed.deploying(NAME);
    const warn = vi.spyOn(bed.logger, 'warn');
    const malformed = taskEventFor(NAME);
    delete malformed.detail.lastStatus;

    await expect(handler(malformed, lambdaContext())).resolves.toBeUndefined();
    await expect(handler({ hello: 'world' }, lambdaContext())).resolves.toBeUndefined();
    await expect(handler({ ...sample('scheduled-event.json'), source: 'aws.s3' }, lambdaContext())).resolves.toBeUndefined();

    expect(warn).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls[0]![0]).toBe('event dropped');
    expect(JSON.stringify(warn.mock.calls[0]![1])).toContain('detail.lastStatus: missing');
    expect(JSON.stringify(warn.mock.calls[1]![1])).toContain('unrecognized event');
    expect(bed.enqueued).toEqual([]);
  });

  it('ignores alarm events (no route yet)', async () => {
    await bed.deploying(NAME);
    await expect(handler(sample('cloudwatch-alarm-ok-to-alarm.json'), lambdaContext())).resolves.toBeUndefined();
    expect(bed.enqueued).toEqual([]);
  });

  it('a failing reconcile does not stop the others; the invocation then fails, naming it', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER, { TaskDefinition: 'broken:1' });
    const original = bed.deps.taskDefinitions.hasHealthCheck;
    bed.deps.taskDefinitions.hasHealthCheck = async (td) => {
      if (td === 'broken:1') throw new Error('ThrottlingException');
      return original(td);
    };
    const error = vi.spyOn(bed.logger, 'error');

    await expect(handler(sample('scheduled-event.json'), lambdaContext())).rejects.toThrow(`reconcile failed for 1 of 2 environment(s): ${OTHER}`);

    expect(environmentsOf(bed.enqueued)).toEqual([NAME]);
    expect(error).toHaveBeenCalledWith('reconcile failed', expect.objectContaining({ environment: OTHER }));
  });

  it('logs each reconcile', async () => {
    await bed.deploying(NAME);
    const info = vi.spyOn(bed.logger, 'info');
    await handler(taskEventFor(NAME), lambdaContext());
    expect(info).toHaveBeenCalledWith('reconciled', expect.objectContaining({ environment: NAME, trigger: 'task', actions: 3 }));
  });
});

describe('planner: SQS wake-ups', () => {
  const wakeup = (id: string, environment: string) => sqsRecord(id, JSON.stringify({ environment }));

  it('reconciles each environment of the batch once and reports no failure', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER);
    const reconciled = vi.spyOn(bed.eventLog, 'load');

    const result = await handler(sqsEvent(wakeup('m1', NAME), wakeup('m2', OTHER), wakeup('m3', NAME)), lambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });
    expect(environmentsOf(bed.enqueued)).toEqual([OTHER, NAME].sort());
    expect(bed.enqueued).toHaveLength(6);
    expect(reconciled.mock.calls.filter(([e]) => e === NAME)).toHaveLength(1);
  });

  it('reports malformed records and the records of an environment whose reconcile threw', async () => {
    await bed.deploying(NAME);
    await bed.deploying(OTHER, { TaskDefinition: 'broken:1' });
    bed.deps.taskDefinitions.hasHealthCheck = async (td) => {
      if (td === 'broken:1') throw new Error('ThrottlingException');
      return false;
    };

    const result = await handler(
      sqsEvent(wakeup('m1', OTHER), sqsRecord('m2', 'not json'), wakeup('m3', NAME), wakeup('m4', OTHER), sqsRecord('m5', '{"env":"x"}')),
      lambdaContext(),
    );

    expect(result).toEqual({ batchItemFailures: ['m2', 'm5', 'm1', 'm4'].map((itemIdentifier) => ({ itemIdentifier })) });
    expect(environmentsOf(bed.enqueued)).toEqual([NAME]);
  });

  it('a wake-up of an environment that does not exist (any more) is done, not failed', async () => {
    const result = await handler(sqsEvent(wakeup('m1', 'Gone/Env')), lambdaContext());
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('schedules the next wake-up the plan asks for', async () => {
    await bed.deploying(NAME);
    await handler(sqsEvent(wakeup('m1', NAME)), lambdaContext());
    expect(bed.wakeups.map((w) => w.environment)).toContain(NAME);
    expect(bed.wakeups.every((w) => w.atMs >= bed.clock.now())).toBe(true);
  });
});

describe('planner: plumbing', () => {
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
