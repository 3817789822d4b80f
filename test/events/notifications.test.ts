import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import {
  DEPLOYMENT_EVENT_SOURCE,
  DEPLOYMENT_STATE_CHANGE,
  deploymentStateChange,
  notificationSchemas,
  type DeploymentStateChangeDetail,
} from '../../events/notifications';

const detail: DeploymentStateChangeDetail = {
  environment: 'SomeEnvironment/Prod',
  revision: 3,
  deploymentId: 'SomeEnvironment/Prod:3@2024010112000000',
  status: 'Failing',
  previousStatus: 'Stuck',
  reason: 'no progress for 900 s: 2 of 4 tasks failed to start',
  desired: 4,
  current: 2,
  at: '2024-01-01T12:15:00.000Z',
};

describe('deploymentStateChange', () => {
  it('builds the PutEvents entry', () => {
    const entry = deploymentStateChange({ ...detail, resources: ['arn:aws:ecs:us-east-1:123456789012:cluster/default'] });
    expect(entry).toEqual({
      Source: 'blox.deployments',
      DetailType: 'Deployment State Change',
      Detail: expect.any(String),
      Resources: ['arn:aws:ecs:us-east-1:123456789012:cluster/default'],
      Time: new Date('2024-01-01T12:15:00.000Z'),
    });
    expect(entry.Source).toBe(DEPLOYMENT_EVENT_SOURCE);
    expect(entry.DetailType).toBe(DEPLOYMENT_STATE_CHANGE);
    expect(JSON.parse(entry.Detail)).toEqual(detail);
  });

  it('has no resources and the default bus unless told', () => {
    const entry = deploymentStateChange(detail);
    expect(entry.Resources).toEqual([]);
    expect('EventBusName' in entry).toBe(false);
    expect(deploymentStateChange({ ...detail, eventBusName: 'deployments' }).EventBusName).toBe('deployments');
  });

  it('is pure: the same input gives the same entry, and the input is not kept', () => {
    const resources = ['arn:a'];
    const first = deploymentStateChange({ ...detail, resources });
    resources.push('arn:b');
    expect(first.Resources).toEqual(['arn:a']);
    expect(deploymentStateChange({ ...detail, resources: ['arn:a'] })).toEqual(first);
  });

  it('serializes only the contract fields', () => {
    const entry = deploymentStateChange({ ...detail, ...({ secret: 'x' } as object) });
    expect(Object.keys(JSON.parse(entry.Detail)).sort()).toEqual(
      ['at', 'current', 'deploymentId', 'desired', 'environment', 'previousStatus', 'reason', 'revision', 'status'].sort(),
    );
  });

  it('accepts a first transition out of Created and an unknown previous status', () => {
    expect(() => deploymentStateChange({ ...detail, status: 'Deploying', previousStatus: 'Created' })).not.toThrow();
    expect(() => deploymentStateChange({ ...detail, status: 'Deploying', previousStatus: null })).not.toThrow();
  });

  it.each([
    ['a negative count', { current: -1 }],
    ['a fractional count', { desired: 1.5 }],
    ['revision 0', { revision: 0 }],
    ['Created as the new status', { status: 'Created' }],
    ['an unknown status', { status: 'Exploded' }],
    ['a time that is not ISO 8601', { at: 'yesterday' }],
    ['an empty environment', { environment: '' }],
  ])('refuses %s', (_label, change) => {
    expect(() => deploymentStateChange({ ...detail, ...(change as Partial<DeploymentStateChangeDetail>) })).toThrow(ZodError);
  });
});

describe('the event a subscriber receives', () => {
  it('parses once EventBridge has wrapped the entry', () => {
    const entry = deploymentStateChange(detail);
    const delivered = {
      version: '0',
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '123456789012',
      time: entry.Time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'us-east-1',
      resources: entry.Resources,
      detail: JSON.parse(entry.Detail) as unknown,
    };
    const parsed = notificationSchemas().event.parse(delivered);
    expect(parsed.detail).toEqual(detail);
    expect(notificationSchemas().detail.parse(parsed.detail).status).toBe('Failing');
  });
});
