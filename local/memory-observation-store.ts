/**
 * The in-memory twin of the observation store (functions/adapters/observation-store.ts), for the
 * harness, the benches and the local stack on the in-memory log. It takes the very transaction the
 * DynamoDB adapter sends (`observationTransaction`) and refuses what DynamoDB refuses: more than 100
 * items or 4 MB, an item over 400 KB (`transactionViolation`, with DynamoDB's message), a picture that
 * needs more parts than a transaction holds, and a head that is not the one loaded
 * (ObservationConflictError). Nothing is written when it refuses. Loads return copies.
 */
import { transactionViolation } from '../functions/adapters/dynamodb-limits';
import type { NativeItem } from '../functions/adapters/dynamodb-limits';
import { observationFromItems, observationKey, observationTransaction } from '../functions/adapters/observation-store';
import type { Observation } from '../domain/rollout';
import type { ObservationHead, ObservationStore, StoredObservation } from '../functions/ports';
import { ObservationConflictError, StoreLimitError } from '../functions/ports';

export class MemoryObservationStore implements ObservationStore {
  /** Items by partition, then sort key. */
  private readonly partitions = new Map<string, Map<string, NativeItem>>();

  async load(environment: string, known?: ObservationHead): Promise<StoredObservation | undefined> {
    const items = this.partitions.get(observationKey(environment));
    const head = items?.get('head');
    if (known && head && Number(head.generation) === known.generation) return { observation: undefined, head: known, unchanged: true };
    return items ? observationFromItems([...items.values()]) : undefined;
  }

  async save(environment: string, observation: Observation, previous: ObservationHead | undefined, base?: Observation): Promise<ObservationHead> {
    const { TransactItems: actions, head } = observationTransaction('memory', environment, observation, previous, base);
    const violation = transactionViolation(actions);
    if (violation) throw new StoreLimitError(environment, violation.limit, violation.message);
    const pk = observationKey(environment);
    const stored = this.partitions.get(pk)?.get('head');
    if (previous ? stored?.generation !== previous.generation : stored !== undefined) throw new ObservationConflictError(environment);
    const items = new Map(this.partitions.get(pk) ?? []);
    for (const action of actions) {
      if ('Put' in action) items.set(String(action.Put.Item.sk), { ...action.Put.Item, ...(action.Put.Item.data ? { data: Buffer.from(action.Put.Item.data as Uint8Array) } : {}) });
      else if ('Delete' in action) items.delete(String(action.Delete.Key.sk));
    }
    this.partitions.set(pk, items);
    return head;
  }
}
