/**
 * The revision log's catalogue (events/catalogue.ts) reads the controls of a running deployment
 * (pause, resume, promote, abort) and a rollback triggered by abort-deployment; malformed ones are a
 * corrupt log. The notification's trigger may be `Abort`.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import { CorruptEventError, decodeEvent, encodeEvent } from '../../events/catalogue';
import { deploymentStateChange } from '../../events/notifications';

const AT = '2026-11-30T12:05:00.000Z';
const CALLER = 'arn:aws:iam::123456789012:user/ops';
const ID = 'Fleet/Logs:2@2026113012000000';

const events: EnvironmentEvent[] = [
  { type: 'DeploymentPaused', deploymentId: ID, caller: CALLER, reason: 'watching the error rate', at: AT },
  { type: 'DeploymentUnpaused', deploymentId: ID, caller: CALLER, at: AT },
  { type: 'DeploymentPromoted', deploymentId: ID, full: true, ends: 'Bake', caller: CALLER, at: AT },
  { type: 'DeploymentAborted', deploymentId: ID, to: 1, caller: CALLER, reason: 'bad canary', at: AT },
  {
    type: 'RollbackStarted',
    deploymentId: 'Fleet/Logs:1@2026113012050000',
    revision: 1,
    reverting: [2],
    undeploying: [],
    trigger: { kind: 'Abort', reason: `abort-deployment by ${CALLER}: bad canary` },
    target: { taskDefinition: 'log-daemon:1', cluster: 'default', configuration: { Method: 'Replace', MinHealthyPercent: 50, MaxOver: 1, StuckAfterSeconds: 300, FailingAfterSeconds: 900 } },
    at: AT,
  },
];

describe('controls of a running deployment in the catalogue', () => {
  it.each(events)('$type reads back as written', (event) => {
    const stored = encodeEvent(event);
    expect(decodeEvent(stored.type, stored.schemaVersion, stored.data)).toEqual(event);
  });

  it('a control without its caller, or a promote without what it ends, is a corrupt log', () => {
    expect(() => decodeEvent('DeploymentPaused', 1, { deploymentId: ID, at: AT })).toThrow(CorruptEventError);
    expect(() => decodeEvent('DeploymentPaused', 1, { deploymentId: ID, caller: '', at: AT })).toThrow(CorruptEventError);
    expect(() => decodeEvent('DeploymentPromoted', 1, { deploymentId: ID, full: false, caller: CALLER, at: AT })).toThrow(/DeploymentPromoted v1 does not match the catalogue/);
  });

  it('a notification may name the trigger Abort', () => {
    const entry = deploymentStateChange({ environment: 'Fleet/Logs', revision: 2, deploymentId: ID, status: 'Reverting', previousStatus: 'Deploying', reason: `abort-deployment by ${CALLER}`, desired: 0, current: 3, at: AT, trigger: 'Abort' });
    expect(JSON.parse(entry.Detail)).toMatchObject({ trigger: 'Abort' });
  });
});
