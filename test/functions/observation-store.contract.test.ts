/**
 * The observation store's contract, run on BOTH stores: the in-memory twin (harness, benches) and the
 * DynamoDB adapter on DynamoDB Local. A picture is replaced whole or not at all, on condition of the
 * generation loaded; a picture larger than one item is cut into parts, and one larger than one
 * transaction is refused before anything is written.
 *
 * Sizes: parts of PART_BYTES = 380,000 B (an item: that, its keys and a generation — under 400 KB);
 * at most MAX_PARTS = min(100 − 1 − 10, ⌊(4,194,304 − 65,536) / 380,000⌋) = min(89, 10) = 10 parts a
 * transaction, so a picture of up to 3,800,000 B gzipped is stored and a larger one refused.
 *
 * Deltas: given the picture it loaded (`base`), a save writes only the sightings that changed and the
 * head (two items), up to MAX_DELTAS = 32 of them; the 33rd save, a delta over MAX_DELTA_BYTES =
 * 100,000 B, or deltas adding up to more than the picture, write the whole picture and delete the deltas.
 */
import { describe, expect, it } from 'vitest';
import type { Observation, TaskSighting } from '../../domain/rollout';
import { createDocumentClient } from '../../functions/adapters/dynamo';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoObservationStore,
  encodeObservation,
  MAX_DELTAS,
  MAX_PARTS,
  observationKey,
  ObservationTooLargeError,
  PART_BYTES,
} from '../../functions/adapters/observation-store';
import type { ObservationStore } from '../../functions/ports';
import { ObservationConflictError } from '../../functions/ports';
import { MemoryObservationStore } from '../../local/memory-observation-store';
import { mulberry32 } from '../../local/sim';
import { freshTable } from '../support/store';

/** A store, and the sort keys of the items it holds for an environment. */
interface Opened extends ObservationStore {
  keys(environment: string): Promise<string[]>;
}

const stores: Array<[string, () => Promise<Opened>]> = [
  [
    'in-memory twin',
    async () => {
      const store = new MemoryObservationStore();
      const partitions = (store as unknown as { partitions: Map<string, Map<string, unknown>> }).partitions;
      return Object.assign(store, { keys: async (environment: string) => [...(partitions.get(observationKey(environment))?.keys() ?? [])].sort() });
    },
  ],
  [
    'DynamoDB adapter on DynamoDB Local',
    async () => {
      const { tableName, endpoint } = await freshTable();
      const client = createDocumentClient(endpoint);
      const store = new DynamoObservationStore(client, tableName);
      const keys = async (environment: string) => {
        const { Items } = await client.send(
          new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': observationKey(environment) }, ProjectionExpression: 'sk' }),
        );
        return (Items ?? []).map((item) => String(item.sk)).sort();
      };
      return Object.assign(store, { keys });
    },
  ],
];

/** `before` with its maps copied (entries shared, as `fold` makes a new picture) and `change` applied. */
function changed(before: Observation, change: (after: Observation) => void): Observation {
  const after: Observation = { ...before, instances: new Map(before.instances), tasks: new Map(before.tasks), toLookUp: new Set(before.toLookUp) };
  change(after);
  return after;
}

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
    expect(head).toEqual({ generation: 1, base: 1, parts: 1, bytes: encodeObservation(saved).byteLength, deltas: 0, deltaBytes: 0 });
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
    expect(await store.load('Env')).toEqual({
      head: { generation: 2, base: 2, parts: 1, bytes: encodeObservation(small).byteLength, deltas: 0, deltaBytes: 0 },
      observation: small,
    });
    expect(await store.keys('Env')).toEqual(['head', 'part#000']);
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

  it('given the picture it loaded, writes only what changed (one delta item), and reads back the same picture', async () => {
    const store = await open();
    const before = picture(1_000, 2_000);
    const one = await store.save('Env', before, undefined);
    const [i0, i1] = [...before.instances.keys()];
    const [t0, t1] = [...before.tasks.values()];
    const after = changed(before, (p) => {
      p.instances.set(i0!, { status: 'DRAINING', version: 40 });
      p.instances.delete(i1!);
      p.tasks.set(t0!.arn, { ...t0!, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedAt: 1_704_067_300_000, version: 50 });
      p.tasks.delete(t1!.arn);
      p.tasks.set(`${PREFIX}:task/default/new`, { ...t1!, arn: `${PREFIX}:task/default/new`, revision: 2, version: 1 });
      p.toLookUp = new Set();
      p.healthLookedAt = 1_704_067_300_000;
    });
    const two = await store.save('Env', after, one, before);
    // The parts are generation 1's; one delta after them, of a few hundred bytes (two instances, three tasks).
    expect(two).toMatchObject({ generation: 2, base: 1, parts: one.parts, bytes: one.bytes, deltas: 1 });
    expect(two.deltaBytes).toBeGreaterThan(0);
    expect(two.deltaBytes).toBeLessThan(1_000);
    expect(await store.keys('Env')).toEqual(['delta#000000000002', 'head', 'part#000']);
    expect(await store.load('Env')).toEqual({ head: two, observation: after });
    // A second delta builds on the first.
    const third = changed(after, (p) => p.instances.set(i0!, { status: 'INACTIVE', version: 41 }));
    const three = await store.save('Env', third, two, after);
    expect(three).toMatchObject({ generation: 3, base: 1, deltas: 2 });
    expect((await store.load('Env'))?.observation).toEqual(third);
    // A delta on a stale head is refused like a whole picture.
    await expect(store.save('Env', changed(after, () => {}), two, after)).rejects.toBeInstanceOf(ObservationConflictError);
    expect((await store.load('Env'))?.observation).toEqual(third);
  });

  it(`writes the whole picture after ${MAX_DELTAS} deltas, and deletes them`, async () => {
    const store = await open();
    let current = picture(20, 20);
    let head = await store.save('Env', current, undefined);
    const arns = [...current.instances.keys()];
    for (let n = 1; n <= MAX_DELTAS; n++) {
      const next = changed(current, (p) => p.instances.set(arns[n % arns.length]!, { status: 'ACTIVE', version: 100 + n }));
      head = await store.save('Env', next, head, current);
      current = next;
    }
    expect(head).toMatchObject({ generation: 33, base: 1, deltas: 32 });
    expect((await store.keys('Env')).length).toBe(1 + 1 + 32);
    expect((await store.load('Env'))?.observation).toEqual(current);
    const next = changed(current, (p) => p.instances.set(arns[0]!, { status: 'DRAINING', version: 200 }));
    head = await store.save('Env', next, head, current);
    expect(head).toEqual({ generation: 34, base: 34, parts: 1, bytes: encodeObservation(next).byteLength, deltas: 0, deltaBytes: 0 });
    expect(await store.keys('Env')).toEqual(['head', 'part#000']);
    expect((await store.load('Env'))?.observation).toEqual(next);
  });

  it('writes the whole picture when the delta is large (a full look: every sighting new)', async () => {
    const store = await open();
    const before = picture(10, 10);
    const one = await store.save('Env', before, undefined);
    // 4,000 new tasks of about 60 B gzipped each: over 100,000 B.
    const after = picture(2_000, 4_000, 2);
    const two = await store.save('Env', after, one, before);
    expect(two).toMatchObject({ generation: 2, base: 2, deltas: 0 });
    expect((await store.load('Env'))?.observation).toEqual(after);
  });
});
