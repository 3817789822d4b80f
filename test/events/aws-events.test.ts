import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import {
  InboundEventError,
  MalformedEventError,
  UnrecognizedEventError,
  cloudWatchAlarmStateChangeSchema,
  ecsContainerInstanceStateChangeSchema,
  ecsTaskStateChangeSchema,
  parseInboundEvent,
  scheduledTickSchema,
  type InboundEventKind,
} from '../../events/aws';

const samplesDir = new URL('../../events/samples/', import.meta.url);

function sample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, samplesDir), 'utf8')) as Record<string, unknown>;
}

/** Which schema and kind a sample is, by its file name. */
const byPrefix: { prefix: string; kind: InboundEventKind; schema: z.ZodMiniType }[] = [
  { prefix: 'ecs-task-', kind: 'task', schema: ecsTaskStateChangeSchema },
  { prefix: 'ecs-container-instance-', kind: 'containerInstance', schema: ecsContainerInstanceStateChangeSchema },
  { prefix: 'cloudwatch-alarm-', kind: 'alarm', schema: cloudWatchAlarmStateChangeSchema },
  { prefix: 'scheduled-', kind: 'tick', schema: scheduledTickSchema },
];

const sampleFiles = readdirSync(samplesDir).filter((f) => f.endsWith('.json'));

describe('recorded samples', () => {
  it('include every state the planner must handle', () => {
    expect(sampleFiles).toEqual(
      expect.arrayContaining([
        'ecs-task-pending.json',
        'ecs-task-running-ec2.json',
        'ecs-task-running-fargate.json',
        'ecs-task-running-healthy.json',
        'ecs-task-stopped-essential-container-exited.json',
        'ecs-task-stopped-failed-to-start.json',
        'ecs-container-instance-active.json',
        'ecs-container-instance-draining.json',
        'ecs-container-instance-agent-disconnected.json',
        'cloudwatch-alarm-ok-to-alarm.json',
        'cloudwatch-alarm-alarm-to-ok.json',
        'scheduled-event.json',
      ]),
    );
  });

  it.each(sampleFiles)('%s parses with its schema and through parseInboundEvent', (file) => {
    const entry = byPrefix.find((p) => file.startsWith(p.prefix));
    expect(entry, `no schema for sample ${file}: name it with a known prefix`).toBeDefined();
    const raw = sample(file);
    const direct = entry!.schema.safeParse(raw);
    expect(direct.error?.issues ?? []).toEqual([]);
    const parsed = parseInboundEvent(raw);
    expect(parsed.kind).toBe(entry!.kind);
    expect(parsed.event.id).toBe(raw.id);
  });

  it('keeps fields AWS sends that the schema does not name (loose objects)', () => {
    const parsed = parseInboundEvent(sample('ecs-task-running-fargate.json'));
    if (parsed.kind !== 'task') throw new Error('expected a task event');
    const detail = parsed.event.detail as Record<string, unknown>;
    expect(detail.platformVersion).toBe('1.3.0');
    expect(detail.attachments).toHaveLength(1);
    expect(parsed.event.detail.containers[0]).toMatchObject({ networkInterfaces: [{ privateIpv4Address: '10.0.0.139' }] });
  });
});

describe('task state change', () => {
  it('reads what the engine set on StartTask back from the EC2 event', () => {
    const { event } = parseInboundEvent(sample('ecs-task-running-ec2.json')) as { kind: 'task'; event: z.infer<typeof ecsTaskStateChangeSchema> };
    expect(event.detail).toMatchObject({
      group: 'task-group',
      startedBy: 'ecs-svc/9223370556150183303',
      containerInstanceArn: 'arn:aws:ecs:us-east-1:111122223333:container-instance/b54a2a04-046f-4331-9d74-3f6d7f6ca315',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      version: 4,
    });
    // What AWS does not send (documented): no tags, no health.
    expect(event.detail.tags).toBeUndefined();
    expect(event.detail.healthStatus).toBeUndefined();
  });

  it('has no container instance on Fargate', () => {
    const parsed = parseInboundEvent(sample('ecs-task-running-fargate.json'));
    expect(parsed.kind).toBe('task');
    if (parsed.kind === 'task') expect(parsed.event.detail.containerInstanceArn).toBeUndefined();
  });

  it('reads the stop code and the exit code of a stopped task', () => {
    const exited = parseInboundEvent(sample('ecs-task-stopped-essential-container-exited.json'));
    const failed = parseInboundEvent(sample('ecs-task-stopped-failed-to-start.json'));
    if (exited.kind !== 'task' || failed.kind !== 'task') throw new Error('expected task events');
    expect(exited.event.detail).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited' });
    expect(exited.event.detail.containers[0]?.exitCode).toBe(1);
    expect(failed.event.detail).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'TaskFailedToStart' });
    expect(failed.event.detail.startedAt).toBeUndefined();
    expect(failed.event.detail.containers[0]?.reason).toMatch(/^CannotPullContainerError/);
  });

  it('accepts a stop code AWS may add later', () => {
    const raw = sample('ecs-task-stopped-essential-container-exited.json');
    (raw.detail as Record<string, unknown>).stopCode = 'SomeFutureStopCode';
    expect(parseInboundEvent(raw).kind).toBe('task');
  });
});

describe('container instance state change', () => {
  it('reads status, agent connection and custom attributes', () => {
    const active = parseInboundEvent(sample('ecs-container-instance-active.json'));
    const draining = parseInboundEvent(sample('ecs-container-instance-draining.json'));
    const disconnected = parseInboundEvent(sample('ecs-container-instance-agent-disconnected.json'));
    if (active.kind !== 'containerInstance' || draining.kind !== 'containerInstance' || disconnected.kind !== 'containerInstance') {
      throw new Error('expected container instance events');
    }
    expect(active.event.detail).toMatchObject({ status: 'ACTIVE', agentConnected: true, ec2InstanceId: 'i-f3a8506b' });
    expect(active.event.detail.remainingResources.find((r) => r.name === 'MEMORY')?.integerValue).toBe(767);
    expect(active.event.detail.attributes[0]).toEqual({ name: 'com.amazonaws.ecs.capability.logging-driver.syslog' });
    expect(draining.event.detail.status).toBe('DRAINING');
    expect(disconnected.event.detail.agentConnected).toBe(false);
  });
});

describe('alarm state change', () => {
  it('reads both directions', () => {
    const up = parseInboundEvent(sample('cloudwatch-alarm-ok-to-alarm.json'));
    const down = parseInboundEvent(sample('cloudwatch-alarm-alarm-to-ok.json'));
    if (up.kind !== 'alarm' || down.kind !== 'alarm') throw new Error('expected alarm events');
    expect([up.event.detail.previousState.value, up.event.detail.state.value]).toEqual(['OK', 'ALARM']);
    expect([down.event.detail.previousState.value, down.event.detail.state.value]).toEqual(['ALARM', 'OK']);
    expect(up.event.detail.alarmName).toBe('ServerCpuTooHigh');
    // CloudWatch's offset has no colon; it is kept as sent and still reads as a date.
    expect(Date.parse(up.event.detail.state.timestamp)).toBe(Date.UTC(2019, 9, 2, 17, 4, 40, 989));
  });
});

describe('parseInboundEvent refuses', () => {
  it('a task event without detail.lastStatus, naming the field', () => {
    const raw = sample('ecs-task-running-ec2.json');
    delete (raw.detail as Record<string, unknown>).lastStatus;
    const error = catchError(() => parseInboundEvent(raw));
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error).toBeInstanceOf(InboundEventError);
    const malformed = error as MalformedEventError;
    expect(malformed.kind).toBe('task');
    expect(malformed.eventId).toBe('9bcdac79-b31f-4d3d-9410-fbd727c29fab');
    expect(malformed.problems).toEqual([expect.stringMatching(/^detail\.lastStatus: missing \(expected one of "PROVISIONING", .*"STOPPED"\)$/)]);
    expect(malformed.message).toContain('malformed "ECS Task State Change" event 9bcdac79-b31f-4d3d-9410-fbd727c29fab from aws.ecs');
    expect(malformed.message).toContain('detail.lastStatus: missing');
  });

  it('an unknown status, saying what it got', () => {
    const raw = sample('ecs-task-running-ec2.json');
    (raw.detail as Record<string, unknown>).lastStatus = 'EXPLODED';
    const error = catchError(() => parseInboundEvent(raw)) as MalformedEventError;
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.problems[0]).toMatch(/^detail\.lastStatus: /);
    expect(error.problems[0]).not.toContain('missing');
  });

  it('every bad field at once', () => {
    const raw = sample('ecs-container-instance-active.json');
    const detail = raw.detail as Record<string, unknown>;
    delete detail.agentConnected;
    detail.status = 'ON_FIRE';
    detail.version = 'fourteen';
    const error = catchError(() => parseInboundEvent(raw)) as MalformedEventError;
    expect(error.kind).toBe('containerInstance');
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(['detail.agentConnected', 'detail.status', 'detail.version']);
  });

  it('a wrong detail-type, naming source and detail-type', () => {
    const raw = { ...sample('ecs-task-running-ec2.json'), 'detail-type': 'ECS Service Action' };
    const error = catchError(() => parseInboundEvent(raw));
    expect(error).toBeInstanceOf(UnrecognizedEventError);
    const unrecognized = error as UnrecognizedEventError;
    expect(unrecognized.source).toBe('aws.ecs');
    expect(unrecognized.detailType).toBe('ECS Service Action');
    expect(unrecognized.message).toContain('source "aws.ecs", detail-type "ECS Service Action"');
    expect(unrecognized.message).toContain('"ECS Task State Change" from aws.ecs');
  });

  it('a known detail-type from another source', () => {
    const raw = { ...sample('scheduled-event.json'), source: 'my.app' };
    const error = catchError(() => parseInboundEvent(raw)) as UnrecognizedEventError;
    expect(error).toBeInstanceOf(UnrecognizedEventError);
    expect(error.source).toBe('my.app');
    expect(error.detailType).toBe('Scheduled Event');
  });

  it.each([null, 'text', 42, [], {}, { Records: [] }])('something that is not an EventBridge event: %j', (raw) => {
    const error = catchError(() => parseInboundEvent(raw)) as UnrecognizedEventError;
    expect(error).toBeInstanceOf(UnrecognizedEventError);
    expect(error.source).toBeUndefined();
    expect(error.message).toContain('not an EventBridge event');
  });

  it('an envelope without its detail', () => {
    const raw = sample('scheduled-event.json');
    delete raw.detail;
    const error = catchError(() => parseInboundEvent(raw)) as MalformedEventError;
    expect(error).toBeInstanceOf(MalformedEventError);
    expect(error.problems).toEqual([expect.stringMatching(/^detail: missing/)]);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
