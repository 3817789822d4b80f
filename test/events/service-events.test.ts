/**
 * The revision log's catalogue (events/catalogue.ts) reads the executor's `ServiceUpdateRefused` (a
 * Service step ECS refused), and refuses a malformed one as a corrupt log.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import { CorruptEventError, decodeEvent, encodeEvent } from '../../events/catalogue';

const refused: EnvironmentEvent = {
  type: 'ServiceUpdateRefused',
  key: 'svc-8c1f0e6a2b3d4c5e-2-0f1e2d3c4b5a6978-r1',
  operation: 'CreateTaskSet',
  reason: 'InvalidParameterException: Network Configuration is not valid for the given networkMode of this task definition.',
  at: 1_796_040_300_000,
};

describe('ServiceUpdateRefused in the catalogue', () => {
  it('reads back as written', () => {
    const stored = encodeEvent(refused);
    expect(stored.type).toBe('ServiceUpdateRefused');
    expect(decodeEvent(stored.type, stored.schemaVersion, stored.data)).toEqual(refused);
  });

  it('an operation that is not a Service operation, or no reason, is a corrupt log', () => {
    const { type: _type, ...data } = refused;
    expect(() => decodeEvent('ServiceUpdateRefused', 1, { ...data, operation: 'RebootCluster' })).toThrow(CorruptEventError);
    const { reason: _reason, ...withoutReason } = data as Omit<Extract<EnvironmentEvent, { type: 'ServiceUpdateRefused' }>, 'type'>;
    expect(() => decodeEvent('ServiceUpdateRefused', 1, withoutReason)).toThrow(/ServiceUpdateRefused v1 does not match the catalogue/);
  });
});
