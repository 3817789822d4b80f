/** `wait environment-stable` and `--watch` on an environment being deleted, and a deleted one. */
import { describe, expect, it } from 'vitest';
import type { EnvironmentStatus } from '../../cli/client';
import { isAtRest, judgeStability } from '../../cli/watch';

const deleting: EnvironmentStatus = {
  EnvironmentName: 'Fleet/Logs',
  Status: 'Deleting',
  Frozen: false,
  Revisions: [{ EnvironmentRevision: 1, Revision: 'Fleet/Logs:1', Status: 'Undeploying', Desired: 0, Current: 3, StatusReason: null, UpdatedAt: '2026-11-30T12:00:00.000Z' }],
};

describe('a deletion as wait and watch see it', () => {
  it('Deleting: still moving (watch goes on, wait is pending with the count)', () => {
    expect(isAtRest(deleting)).toBe(false);
    expect(judgeStability(deleting, new Set())).toEqual({ kind: 'pending', progress: 'Fleet/Logs:1 is Undeploying (3 of 0)' });
  });

  it('Deleted: at rest, and wait environment-stable fails saying so', () => {
    const deleted: EnvironmentStatus = { ...deleting, Status: 'Deleted', Revisions: [] };
    expect(isAtRest(deleted)).toBe(true);
    expect(judgeStability(deleted, new Set([1]))).toEqual({ kind: 'failed', reason: 'Fleet/Logs is Deleted' });
  });
});
