/**
 * The `WeightedRecords` port on Route 53 (`@aws-sdk/client-route-53`): a Canary with
 * `TrafficRouting.Route53` moves weight between two weighted records of one name, each naming a load
 * balancer, and starts a step's clock when the change is INSYNC.
 *
 * The client is anything that answers ListResourceRecordSets, ChangeResourceRecordSets and GetChange
 * in the SDK's request and response shapes: the simulated Route 53 (`local/sim/route53.ts`) does, and
 * so does `route53ThroughSdk()` over the SDK's client (loaded on first use: only a Route 53 canary
 * needs it, and a reconciler that never does pays nothing for it at cold start).
 *
 * What Route 53 does, and what this adapter does about it (Route 53 API Reference, "Quotas"):
 * - ListResourceRecordSets lists a zone in name order from `StartRecordName`, at most 300 record
 *   sets a page; a weighted group is read from its name on, page after page while the next record
 *   still has that name (`NextRecordName` / `NextRecordType` / `NextRecordIdentifier`), and no
 *   further. Names come back lower case with the trailing dot; the name asked for is compared so.
 * - An UPSERT replaces a record set whole: each record is sent back as listed (type, set
 *   identifier, alias target — or TTL and values —, health check), with only its `Weight` changed,
 *   all in one batch, which Route 53 applies all or nothing. The batch's size is far below the
 *   quotas (1,000 ResourceRecord elements and 32,000 characters, UPSERTs counted twice): a weighted
 *   group has at most 100 records. The `Comment` (at most 256 characters) says what changed.
 * - A change is PENDING until every Route 53 DNS server has it, then INSYNC (GetChange; the id is
 *   sent as ChangeResourceRecordSets answered it, `/change/C…`, which the SDK trims to `C…`).
 * - Requests: five a second per account (`Throttling: Rate exceeded`, HTTP 400), shared with every
 *   other caller in the account; the SDK retries throttling (and `PriorRequestNotComplete`) with
 *   back-off, and what still fails propagates: the reconcile is retried.
 * - IAM: `route53:ListResourceRecordSets` and `route53:ChangeResourceRecordSets` on
 *   `arn:aws:route53:::hostedzone/<id>`, `route53:GetChange` on `arn:aws:route53:::change/*`
 *   (serverless.yml).
 *
 * read('Z…', 'web.example.internal') →
 *   [{ setIdentifier: 'blue', weight: 255, type: 'A', target: 'web-a-1.us-east-1.elb.amazonaws.com' }, { setIdentifier: 'green', weight: 0, … }]
 * setWeights('Z…', 'web.example.internal', { blue: 230, green: 25 }) → { changeId: '/change/C…', status: 'PENDING' }
 */
import type { ChangeResourceRecordSetsCommandInput, ListResourceRecordSetsCommandInput, Route53ClientConfig } from '@aws-sdk/client-route-53';
import type { DnsChangeStatus, WeightedRecord, WeightedRecords } from '../ports';
import { WeightedRecordError } from '../ports';
import type { Route53Calls } from './sdk/route53';

/** A record set in the SDK's shape (every member optional, as the SDK's output types have them). */
export interface SdkResourceRecordSet {
  Name?: string | undefined;
  Type?: string | undefined;
  SetIdentifier?: string | undefined;
  Weight?: number | undefined;
  TTL?: number | undefined;
  ResourceRecords?: Array<{ Value?: string | undefined }> | undefined;
  AliasTarget?: { HostedZoneId?: string | undefined; DNSName?: string | undefined; EvaluateTargetHealth?: boolean | undefined } | undefined;
}

interface SdkChangeInfo {
  ChangeInfo?: { Id?: string | undefined; Status?: string | undefined } | undefined;
}

/** The three calls in the SDK's request and response shapes (the fields read here). */
export interface Route53RecordsClient {
  listResourceRecordSets(input: {
    HostedZoneId: string;
    StartRecordName?: string;
    StartRecordType?: string;
    StartRecordIdentifier?: string;
  }): Promise<{
    ResourceRecordSets?: SdkResourceRecordSet[] | undefined;
    IsTruncated?: boolean | undefined;
    NextRecordName?: string | undefined;
    NextRecordType?: string | undefined;
    NextRecordIdentifier?: string | undefined;
  }>;
  changeResourceRecordSets(input: { HostedZoneId: string; ChangeBatch: { Comment?: string; Changes: Array<{ Action: 'UPSERT'; ResourceRecordSet: SdkResourceRecordSet }> } }): Promise<SdkChangeInfo>;
  getChange(input: { Id: string }): Promise<SdkChangeInfo>;
}

/**
 * The calls through the SDK's Route 53 client, which is loaded (a dynamic import of `sdk/route53.ts`)
 * and built on the first call, and kept for the life of the container. Route 53 is a global service:
 * its API endpoint is in us-east-1 whatever the function's Region.
 */
export function route53ThroughSdk(config: Route53ClientConfig = {}): Route53RecordsClient {
  let calls: Route53Calls | undefined;
  const load = async () => (calls ??= (await import('./sdk/route53')).route53Calls(config));
  return {
    listResourceRecordSets: async (input) => (await load()).listResourceRecordSets(input as ListResourceRecordSetsCommandInput),
    changeResourceRecordSets: async (input) => (await load()).changeResourceRecordSets(input as ChangeResourceRecordSetsCommandInput),
    getChange: async (input) => (await load()).getChange(input),
  };
}

/** Lower case with the trailing dot, as Route 53 lists names. */
function fqdn(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** More pages than a weighted group of 100 records (Route 53's quota per name and type) can take: a listing that goes on is a bug. */
const MAX_PAGES = 20;

function status(info: SdkChangeInfo, call: string): { changeId: string; status: DnsChangeStatus } {
  const id = info.ChangeInfo?.Id;
  const value = info.ChangeInfo?.Status;
  if (!id || (value !== 'PENDING' && value !== 'INSYNC')) throw new Error(`Route 53 ${call} answered no change (Id ${String(id)}, Status ${String(value)})`);
  return { changeId: id, status: value };
}

export class Route53WeightedRecords implements WeightedRecords {
  constructor(private readonly client: Route53RecordsClient) {}

  async read(hostedZoneId: string, recordName: string): Promise<WeightedRecord[]> {
    return (await this.readSets(hostedZoneId, recordName)).map(({ record }) => record);
  }

  async setWeights(hostedZoneId: string, recordName: string, weights: Readonly<Record<string, number>>): Promise<{ changeId: string; status: DnsChangeStatus }> {
    for (const [id, weight] of Object.entries(weights)) {
      if (!(Number.isInteger(weight) && weight >= 0 && weight <= 255)) throw new RangeError(`weight of "${id}" in ${recordName}: expected a whole number 0-255, got ${weight}`);
    }
    const sets = await this.readSets(hostedZoneId, recordName);
    const missing = Object.keys(weights).filter((id) => !sets.some(({ record }) => record.setIdentifier === id));
    if (missing.length > 0) {
      const found = sets.map(({ record }) => record.setIdentifier).join(', ') || 'none';
      throw new WeightedRecordError(`${recordName} in hosted zone ${hostedZoneId} has no weighted record with set identifier ${missing.map((id) => `"${id}"`).join(', ')} (found: ${found})`);
    }
    const changed = sets.filter(({ record }) => weights[record.setIdentifier] !== undefined);
    // Already so (a copy of the action, or someone set them): no change is sent — one would be PENDING
    // for another propagation time. The change id is then '' (nothing to follow).
    if (changed.every(({ record }) => record.weight === weights[record.setIdentifier])) return { changeId: '', status: 'INSYNC' };
    const comment = `blox: ${fqdn(recordName)} weights ${changed.map(({ record }) => `${record.setIdentifier}=${weights[record.setIdentifier]}`).join(' ')}`.slice(0, 256);
    const answer = await this.client.changeResourceRecordSets({
      HostedZoneId: hostedZoneId,
      ChangeBatch: {
        Comment: comment,
        Changes: changed.map(({ raw, record }) => ({ Action: 'UPSERT' as const, ResourceRecordSet: { ...raw, Weight: weights[record.setIdentifier]! } })),
      },
    });
    return status(answer, 'ChangeResourceRecordSets');
  }

  async changeStatus(changeId: string): Promise<DnsChangeStatus> {
    return status(await this.client.getChange({ Id: changeId }), 'GetChange').status;
  }

  /** The weighted record sets of the name, as listed (raw) and in the port's shape. */
  private async readSets(hostedZoneId: string, recordName: string): Promise<Array<{ raw: SdkResourceRecordSet; record: WeightedRecord }>> {
    const name = fqdn(recordName);
    const found: Array<{ raw: SdkResourceRecordSet; record: WeightedRecord }> = [];
    let start: { StartRecordName: string; StartRecordType?: string; StartRecordIdentifier?: string } = { StartRecordName: name };
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.client.listResourceRecordSets({ HostedZoneId: hostedZoneId, ...start });
      const sets = answer.ResourceRecordSets ?? [];
      for (const raw of sets) {
        if (raw.Name === undefined || fqdn(raw.Name) !== name) continue;
        if (raw.SetIdentifier === undefined || raw.Weight === undefined || raw.Type === undefined) continue;
        const target = raw.AliasTarget?.DNSName ?? raw.ResourceRecords?.[0]?.Value ?? '';
        found.push({ raw, record: { setIdentifier: raw.SetIdentifier, weight: raw.Weight, type: raw.Type, target: target.replace(/\.$/, '').toLowerCase() } });
      }
      const pastName = sets.some((raw) => raw.Name !== undefined && fqdn(raw.Name) !== name);
      if (pastName || !answer.IsTruncated || answer.NextRecordName === undefined || fqdn(answer.NextRecordName) !== name) {
        return found.sort((a, b) => (a.record.setIdentifier < b.record.setIdentifier ? -1 : a.record.setIdentifier > b.record.setIdentifier ? 1 : 0));
      }
      start = {
        StartRecordName: answer.NextRecordName,
        ...(answer.NextRecordType !== undefined ? { StartRecordType: answer.NextRecordType } : {}),
        ...(answer.NextRecordIdentifier !== undefined ? { StartRecordIdentifier: answer.NextRecordIdentifier } : {}),
      };
    }
    throw new Error(`Route 53 listed more than ${MAX_PAGES} pages of ${name} in hosted zone ${hostedZoneId}`);
  }
}
