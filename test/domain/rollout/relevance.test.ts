import { describe, expect, it } from 'vitest';
import { relevant } from '../../../domain/rollout';

const AT = Date.parse('2024-01-01T12:00:00.000Z');

describe('which ECS events the router passes on (each is a change of the picture and a reason to plan)', () => {
  it.each([
    { lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', expected: false },
    { lastStatus: 'PENDING', desiredStatus: 'RUNNING', expected: true }, // the launch arrived (before a slow start times out)
    { lastStatus: 'PENDING', desiredStatus: 'STOPPED', expected: false },
    { lastStatus: 'ACTIVATING', desiredStatus: 'RUNNING', expected: false },
    { lastStatus: 'RUNNING', desiredStatus: 'RUNNING', expected: true }, // up: the next wave may go
    { lastStatus: 'RUNNING', desiredStatus: 'STOPPED', expected: true }, // a stop took effect: no longer available
    { lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED', expected: false },
    { lastStatus: 'STOPPING', desiredStatus: 'STOPPED', expected: false },
    { lastStatus: 'DEPROVISIONING', desiredStatus: 'STOPPED', expected: false },
    { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', expected: true }, // gone: its instance is free
  ])('task $lastStatus (desired $desiredStatus) → $expected', ({ lastStatus, desiredStatus, expected }) => {
    expect(relevant({ kind: 'task', lastStatus, desiredStatus })).toBe(expected);
  });

  it.each([
    { status: 'DRAINING', registeredAt: AT - 7_200_000, expected: true },
    { status: 'DEREGISTERING', registeredAt: AT - 7_200_000, expected: true },
    { status: 'INACTIVE', registeredAt: AT - 7_200_000, expected: true },
    { status: 'ACTIVE', registeredAt: AT - 30_000, expected: true }, // joined 30 s ago
    { status: 'ACTIVE', registeredAt: AT - 600_000, expected: true }, // exactly 10 min
    { status: 'ACTIVE', registeredAt: AT - 600_001, expected: false }, // resources changed on an old instance
    { status: 'ACTIVE', registeredAt: undefined, expected: true },
  ])('container instance $status registered $registeredAt → $expected', ({ status, registeredAt, expected }) => {
    expect(relevant({ kind: 'containerInstance', status, registeredAt, at: AT })).toBe(expected);
  });
});
