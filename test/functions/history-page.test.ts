/**
 * list-deployments' paging (functions/api/history.ts) over a long log on the in-memory EventLog (the
 * DynamoDB adapter answers the same pages: event-log.contract.test.ts): a page reads the log backwards
 * only until it has its deployments, or its budget of log pages is spent; chained, the pages give the
 * whole history (domain/history.ts's `deploymentHistory`) whatever the budget.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentEvent } from '../../domain/environment';
import { deploymentHistory } from '../../domain/history';
import { deploymentPage } from '../../functions/api/history';
import { appendWithRetry, runCommand } from '../../functions/commands';
import type { EventLog } from '../../functions/ports';
import { MemoryEventLog } from '../../local/memory-event-log';

const NAME = 'Long/History';
const T0 = Date.parse('2026-11-30T12:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

/** `count` deployments of revision 2 and rollbacks to 1 in turn, each completed after 30 s of 5 engine events. */
async function longLog(count: number): Promise<MemoryEventLog> {
  const log = new MemoryEventLog();
  const reply = () => ({ statusCode: 200, body: {} });
  const spec = (n: number) => ({ Name: NAME, TaskDefinition: `log-daemon:${n}`, DeploymentType: 'Daemon' as const });
  await runCommand(log, { environment: NAME, command: { type: 'CreateEnvironment', spec: spec(1), at: iso(0) }, reply });
  await runCommand(log, { environment: NAME, command: { type: 'UpdateEnvironment', name: NAME, patch: spec(2), at: iso(1) }, reply });
  const engine = (events: EnvironmentEvent[]) => appendWithRetry(log, NAME, () => ({ events }), { attempts: 1 });
  await runCommand(log, { environment: NAME, command: { type: 'DeployRevision', name: NAME, revision: 1, targetSpec: spec(1), at: iso(2) }, reply });
  await engine([{ type: 'DeploymentCompleted', revision: 1, retired: [], at: T0 + 3000 }]);
  for (let i = 0; i < count; i++) {
    const start = 100 * (i + 1);
    const command = i % 2 === 0 ? ({ type: 'DeployRevision', name: NAME, revision: 2, at: iso(start) } as const) : ({ type: 'RollbackToRevision', name: NAME, revision: 1, targetSpec: spec(1), at: iso(start) } as const);
    await runCommand(log, { environment: NAME, command, reply });
    await engine(Array.from({ length: 5 }, (_, k): EnvironmentEvent => ({ type: 'DeploymentProgressed', ready: k, old: 5 - k, at: T0 + (start + k) * 1000 })));
    await engine([{ type: 'DeploymentCompleted', revision: i % 2 === 0 ? 2 : 1, retired: [], at: T0 + (start + 30) * 1000 }]);
  }
  return log;
}

/** Counts the log pages a page of the history reads. */
function counting(log: EventLog) {
  const counter = { reads: 0 };
  return { counter, log: { readEventsBackward: (...args: Parameters<EventLog['readEventsBackward']>) => (counter.reads++, log.readEventsBackward(...args)) } };
}

describe('deploymentPage', () => {
  it('chained with any budget, gives the whole history; a tight budget answers short (even empty) pages with a token', async () => {
    const log = await longLog(12);
    const whole = deploymentHistory((await log.readEvents(NAME)).map((e) => e.event));
    expect(whole).toHaveLength(13);
    expect(whole.map((d) => d.outcome)).toEqual(Array(13).fill('Completed'));
    for (const [limit, maxLogPages, eventsPerRead] of [[5, 8, undefined], [4, 1, 3], [1, 1, 1], [100, 2, 7]] as const) {
      const chained = [];
      const sizes: number[] = [];
      let nextToken: string | undefined;
      for (let i = 0; i < 200; i++) {
        const page = await deploymentPage(log, NAME, { limit, nextToken, maxLogPages, ...(eventsPerRead ? { eventsPerRead } : {}) });
        expect(page.deployments.length).toBeLessThanOrEqual(limit);
        chained.push(...page.deployments);
        sizes.push(page.deployments.length);
        nextToken = page.nextToken;
        if (!nextToken) break;
      }
      expect(chained, `limit ${limit}, ${maxLogPages} pages of ${eventsPerRead ?? 'all'}`).toEqual(whole);
      if (maxLogPages === 1 && eventsPerRead === 1) expect(sizes).toContain(0);
    }
  });

  it('with a thousand deployments, the first page reads the newest part of the log only', async () => {
    const log = await longLog(1000);
    const { counter, log: counted } = counting(log);
    // 25 deployments of 7 events each (start, 5 engine events, completion) ≈ 175 events: 2 reads of 100.
    const page = await deploymentPage(counted, NAME, { limit: 25, eventsPerRead: 100 });
    expect(page.deployments).toHaveLength(25);
    expect(page.deployments[0]).toMatchObject({ kind: 'rollback', revision: 1, startedAt: iso(100_000), endedAt: iso(100_030), durationSeconds: 30, outcome: 'Completed' });
    expect(page.nextToken).toBeDefined();
    expect(counter.reads).toBe(2);
  }, 60_000);
});
