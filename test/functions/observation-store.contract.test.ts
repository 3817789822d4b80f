/**
 * The observation store's contract, run on BOTH stores: the in-memory twin (harness, benches) and the
 * DynamoDB adapter on DynamoDB Local. A picture is replaced whole or not at all, on condition of the
 * generation loaded; a picture larger than one item is cut into parts, and one larger than one
 * transaction is refused before anything is written.
 *
 * Sizes: parts of PART_BYTES = 380,000 B (an item: that, its keys and a generation — under 400 KB);
 * at most MAX_PARTS = min(100 − 1 − 10, ⌊(4,194,304 − 65,536) / 380,000⌋) = min(89, 10) = 10 parts a
 * transaction, so a picture of up to 3,800,000 B gzipped is stored and a larger one refused.
 */
import { describe, expect, it } from 'vitest';
import type { Observation, TaskSighting } from '../../domain/rollout';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import { DynamoObservationStore, encodeObservation, MAX_PARTS, ObservationTooLargeError, PART_BYTES } from '../../functions/adapters/observation-store';
import type { ObservationStore } from '../../functions/ports';
import { ObservationConflictError } from '../../functions/ports';
import { MemoryObservationStore } from '../../local/memory-observation-store';
import { mulberry32 } from '../../local/sim';
import { freshTable } from '../support/store';

const stores: Array<[string, () => Promise<ObservationStore>]> = [
  ['in-memory twin', async () => new MemoryObservationStore()],
  [
    'DynamoDB adapter on DynamoDB Local',
    async () => {
      const { tableName, endpoint } = await freshTable();
      return new DynamoObservationStore(createDocumentClient(endpoint), tableName);
    },
  ],
];

const PREFIX = 'arn:aws:ecs:us-east-1:123456789012';

/** A picture of `tasks` tasks on `instances` instances, with ids from a seeded generator (random hex compresses badly). */
function picture(instances: number, tasks: number, seed = 1): Observation {
  const random = mulberry32(seed);
  const hex = () => Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  const instanceArns = Array.from({ length: instances }, () => `${PREFIX}:container-instance/default/${hex()}`);
  const sightings = new Map<string, TaskSighting>();
  for (let n = 0; n < tasks; n++) {
    const arn = `${PREFIX}:task/default/${hex()}`;
    sightings.set(arn, {
      arn,
      instanceArn: instanceArns[n % instances]!,
      revision: 1 + (n % 2),
      actionKey: `start-${hex().slice(0, 16)}-2-${Math.floor(n / 10)}-0`,
      lastStatus: n % 3 === 0 ? 'STOPPED' : 'RUNNING',
      desiredStatus: n % 3 === 0 ? 'STOPPED' : 'RUNNING',
      health: 'UNKNOWN',
      version: 1 + (n % 7),
      ...(n % 3 === 0 ? { stopCode: 'UserInitiated', stoppedReason: 'replaced by revision 2', stoppedAt: 1_704_067_200_000 + n } : {}),
    });
  }
  return {
    deploymentId: 'Env:2@2024010100000000',
    query: 'attribute:stack == prod',
    lookedAt: 1_704_067_200_000,
    healthLookedAt: 1_704_067_201_000,
    instances: new Map(instanceArns.map((arn, n) => [arn, { status: (['ACTIVE', 'DRAINING', 'OUT', 'INACTIVE'] as const)[n % 4]!, version: n % 9 }])),
    tasks: sightings,
    toLookUp: new Set([`${PREFIX}:task/default/not-yet-described`]),
    relist: false,
  };
}

describe.each(stores)('the observation store: %s', (_name, open) => {
  it('has nothing for an environment never saved', async () => {
    const store = await open();
    expect(await store.load('Nobody')).toBeUndefined();
  });

  it('gives back what was saved, every field (a task on an instance outside the group too)', async () => {
    const store = await open();
    const saved = picture(3, 7);
    const [first] = saved.tasks.values();
    first!.instanceArn = `${PREFIX}:container-instance/default/left-the-group`;
    const head = await store.save('Env', saved, undefined);
    expect(head).toEqual({ generation: 1, parts: 1, bytes: encodeObservation(saved).byteLength });
    const loaded = await store.load('Env');
    expect(loaded?.head).toEqual(head);
    expect(loaded?.observation).toEqual(saved);
  });

  it('replaces only the generation it loaded: a stale or missing head is refused, and nothing changes', async () => {
    const store = await open();
    const one = await store.save('Env', picture(2, 2, 1), undefined);
    const two = await store.save('Env', picture(2, 2, 2), one);
    expect(two.generation).toBe(2);
    await expect(store.save('Env', picture(2, 2, 3), one)).rejects.toBeInstanceOf(ObservationConflictError);
    await expect(store.save('Env', picture(2, 2, 3), undefined)).rejects.toBeInstanceOf(ObservationConflictError);
    expect((await store.load('Env'))?.observation).toEqual(picture(2, 2, 2));
  });

  it('reads only the head for a caller that holds the stored generation', async () => {
    const store = await open();
    const one = await store.save('Env', picture(2, 2), undefined);
    expect(await store.load('Env', one)).toEqual({ head: one, observation: undefined, unchanged: true });
    const two = await store.save('Env', picture(2, 3), one);
    // Held generation 1, stored 2: the whole picture.
    expect(await store.load('Env', one)).toEqual({ head: two, observation: picture(2, 3) });
  });

  it('cuts a picture larger than an item into parts, and a smaller one after it leaves no stale part behind', async () => {
    const store = await open();
    // 10,000 instances, 30,000 tasks: well over 380,000 B gzipped.
    const large = picture(10_000, 30_000);
    const bytes = encodeObservation(large).byteLength;
    expect(bytes).toBeGreaterThan(PART_BYTES);
    const head = await store.save('Env', large, undefined);
    expect(head.parts).toBe(Math.ceil(bytes / PART_BYTES));
    expect((await store.load('Env'))?.observation).toEqual(large);
    const small = picture(2, 2);
    await store.save('Env', small, head);
    expect(await store.load('Env')).toEqual({ head: { generation: 2, parts: 1, bytes: encodeObservation(small).byteLength }, observation: small });
  }, 60_000);

  it(`refuses a picture of more than ${MAX_PARTS} parts before writing anything`, async () => {
    const store = await open();
    const kept = await store.save('Env', picture(2, 2), undefined);
    // 150,000 tasks with random ids: more than 3,800,000 B gzipped.
    const huge = picture(1_000, 150_000);
    expect(encodeObservation(huge).byteLength).toBeGreaterThan(MAX_PARTS * PART_BYTES);
    await expect(store.save('Env', huge, kept)).rejects.toBeInstanceOf(ObservationTooLargeError);
    expect(await store.load('Env')).toEqual({ head: kept, observation: picture(2, 2) });
  }, 120_000);
});
