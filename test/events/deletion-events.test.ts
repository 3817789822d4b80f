/**
 * The revision log's catalogue (events/catalogue.ts) reads delete-environment's events, and refuses
 * malformed ones as a corrupt log.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import { CorruptEventError, decodeEvent, encodeEvent } from '../../events/catalogue';

const started: EnvironmentEvent = {
  type: 'DeletionStarted',
  deletionId: 'Fleet/Logs:delete@2026113012050000',
  revision: 1,
  force: true,
  tasks: 3,
  target: {
    taskDefinition: 'log-daemon:1',
    cluster: 'default',
    query: 'attribute:stack == prod',
    configuration: { Method: 'Replace', MinHealthyPercent: 50, MaxOver: 1, MaxPercent: 200, StuckAfterSeconds: 300, FailingAfterSeconds: 900, BakeSeconds: 0 },
  },
  at: '2026-11-30T12:05:00.000Z',
};

describe('delete-environment events in the catalogue', () => {
  it.each<EnvironmentEvent>([started, { type: 'EnvironmentDeleted', at: '2026-11-30T12:05:00.000Z' }, { type: 'DeletionForced', at: '2026-11-30T12:06:00.000Z' }, { type: 'DeletionCompleted', at: 1_796_040_300_000 }])('$type reads back as written', (event) => {
    const stored = encodeEvent(event);
    expect(decodeEvent(stored.type, stored.schemaVersion, stored.data)).toEqual(event);
  });

  it('a DeletionStarted without its task count, or a DeletionCompleted with an ISO time, is a corrupt log', () => {
    const { tasks: _tasks, ...withoutTasks } = started as Extract<EnvironmentEvent, { type: 'DeletionStarted' }>;
    expect(() => decodeEvent('DeletionStarted', 1, withoutTasks)).toThrow(CorruptEventError);
    expect(() => decodeEvent('DeletionCompleted', 1, { at: '2026-11-30T12:05:00.000Z' })).toThrow(/DeletionCompleted v1 does not match the catalogue/);
  });
});
