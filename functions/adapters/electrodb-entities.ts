/**
 * The table's items as electrodb entities: the model of the item format `event-log.ts` reads and
 * writes (keys `$blox#environment_<name>`, `$event_1#sequence_<000000000001>`, …, identity attributes
 * `__edb_e__` / `__edb_v__`). The tests hold the adapter's requests and items to what these entities'
 * own builders make (`.params()`).
 *
 * No function imports this module: constructing the entities validates their models (~50 ms) and
 * electrodb's module (with `jsonschema` and the whole of `@aws-sdk/lib-dynamodb`, which it `require`s)
 * takes ~20 ms more to load, on every cold start; `event-log.ts` builds the same requests itself.
 * test/infra/bundles.test.ts checks that no bundle carries electrodb.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Entity, Service } from 'electrodb';
import { SEQUENCE_PADDING } from './event-log';

/** The entities (a `Service`), with `client` able to run them (the tests only build their requests). */
export function entities(table: string, client?: DynamoDBDocumentClient) {
  const config = { client, table };
  const event = new Entity(
    {
      model: { entity: 'event', version: '1', service: 'blox' },
      attributes: {
        environment: { type: 'string', required: true, readOnly: true },
        sequence: { type: 'number', required: true, readOnly: true, padding: SEQUENCE_PADDING },
        type: { type: 'string', required: true },
        schemaVersion: { type: 'number', required: true },
        data: { type: 'any', required: true },
        recordedAt: { type: 'string', required: true },
      },
      indexes: {
        log: {
          pk: { field: 'pk', composite: ['environment'], casing: 'none' },
          sk: { field: 'sk', composite: ['sequence'], casing: 'none' },
        },
      },
    },
    config,
  );
  const environment = new Entity(
    {
      model: { entity: 'environment', version: '1', service: 'blox' },
      attributes: {
        environment: { type: 'string', required: true, readOnly: true },
        version: { type: 'number', required: true },
        state: { type: 'any', required: true },
        updatedAt: { type: 'string', required: true },
        // Routing (gsi2), written from `routingAttributes`; no startedBy on projections written before.
        startedBy: { type: 'string' },
        deployingOn: { type: 'string' },
        gsi2pk: { type: 'string' },
        gsi2sk: { type: 'string' },
      },
      indexes: {
        projection: {
          pk: { field: 'pk', composite: ['environment'], casing: 'none' },
          sk: { field: 'sk', composite: [], casing: 'none' },
        },
        byName: {
          index: 'gsi1',
          pk: { field: 'gsi1pk', composite: [], casing: 'none' },
          sk: { field: 'gsi1sk', composite: ['environment'], casing: 'none' },
        },
      },
    },
    config,
  );
  const revision = new Entity(
    {
      model: { entity: 'revision', version: '1', service: 'blox' },
      attributes: {
        environment: { type: 'string', required: true, readOnly: true },
        revision: { type: 'number', required: true, readOnly: true, padding: SEQUENCE_PADDING },
        status: { type: 'string', required: true },
        health: { type: 'string' },
        statusReason: { type: 'string' },
        desired: { type: 'number', required: true },
        current: { type: 'number', required: true },
        spec: { type: 'any', required: true },
        basedOn: { type: 'number' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
      },
      indexes: {
        table: {
          pk: { field: 'pk', composite: ['environment'], casing: 'none' },
          sk: { field: 'sk', composite: ['revision'], casing: 'none' },
        },
      },
    },
    config,
  );
  const idempotency = new Entity(
    {
      model: { entity: 'idempotency', version: '1', service: 'blox' },
      attributes: {
        key: { type: 'string', required: true, readOnly: true },
        fingerprint: { type: 'string', required: true },
        statusCode: { type: 'number', required: true },
        body: { type: 'any', required: true },
        environment: { type: 'string', required: true },
        expiresAt: { type: 'number', required: true },
      },
      indexes: {
        record: {
          pk: { field: 'pk', composite: ['key'], casing: 'none' },
          sk: { field: 'sk', composite: [], casing: 'none' },
        },
      },
    },
    config,
  );
  return new Service({ event, environment, revision, idempotency }, config);
}
