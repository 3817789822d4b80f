import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rawDocument } from '../../cli/client';
import { buildUpdateRequest, flagFields, readDocument, UsageError } from '../../cli/input';
import { WALKTHROUGH_YAML } from './fake-api';

const stdin = (text: string, isTTY = false) => ({ stdin: Readable.from([Buffer.from(text)]), stdinIsTTY: isTTY });

describe('readDocument', () => {
  it('reads a file as written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blox-cli-'));
    const file = join(dir, 'spec.yaml');
    await writeFile(file, WALKTHROUGH_YAML);
    expect(await readDocument('--yaml-file', file, stdin(''))).toEqual(rawDocument('application/yaml', WALKTHROUGH_YAML));
    expect(await readDocument('--json-file', file, stdin(''))).toEqual(rawDocument('application/json', WALKTHROUGH_YAML));
  });

  it('reads standard input for - and for a bare option (the walkthrough heredoc)', async () => {
    expect((await readDocument('--yaml-file', '-', stdin(WALKTHROUGH_YAML))).raw).toBe(WALKTHROUGH_YAML);
    expect((await readDocument('--yaml-file', true, stdin(WALKTHROUGH_YAML))).raw).toBe(WALKTHROUGH_YAML);
  });

  it('refuses a bare option on a terminal and a missing file, as usage errors', async () => {
    await expect(readDocument('--yaml-file', true, stdin('', true))).rejects.toThrow(UsageError);
    await expect(readDocument('--yaml-file', '/nonexistent/spec.yaml', stdin(''))).rejects.toThrow(
      '--yaml-file /nonexistent/spec.yaml: no such file',
    );
  });
});

describe('flagFields', () => {
  it('maps flags onto spec fields', () => {
    expect(
      flagFields({
        taskDefinition: 'log-daemon:2',
        instanceGroupQuery: 'attribute:stack in (prod, gamma)',
        desiredCount: 4,
        method: 'Surge',
        minHealthyPercent: 50,
        maxOver: '20%',
      }),
    ).toEqual({
      TaskDefinition: 'log-daemon:2',
      InstanceGroup: { Query: 'attribute:stack in (prod, gamma)' },
      DesiredCount: 4,
      DeploymentConfiguration: { Method: 'Surge', MinHealthyPercent: 50, MaxOver: '20%' },
    });
    expect(flagFields({})).toEqual({});
  });
});

describe('buildUpdateRequest', () => {
  const yaml = rawDocument('application/yaml', WALKTHROUGH_YAML);

  it('flags: { Revision, …fields } as an object (JSON)', async () => {
    expect(
      await buildUpdateRequest({ environment: 'SomeEnvironment/Prod', flags: { revision: 1, taskDefinition: 'log-daemon:2' } }),
    ).toEqual({ name: 'SomeEnvironment/Prod', body: { Revision: 1, TaskDefinition: 'log-daemon:2' } });
  });

  it('flags without --revision, or with nothing to change, are usage errors', async () => {
    await expect(buildUpdateRequest({ environment: 'e', flags: { taskDefinition: 'x:1' } })).rejects.toThrow(/--revision/);
    await expect(buildUpdateRequest({ environment: 'e', flags: { revision: 1 } })).rejects.toThrow(/nothing to change/);
    await expect(buildUpdateRequest({ flags: { revision: 1, taskDefinition: 'x:1' } })).rejects.toThrow(/--environment/);
  });

  it('a spec file alone is sent as written, named by its Name', async () => {
    expect(await buildUpdateRequest({ document: yaml, flags: {} })).toEqual({ name: 'SomeEnvironment/Prod', body: yaml });
  });

  it('a spec file with --revision and flags is merged and sent as JSON', async () => {
    const request = await buildUpdateRequest({
      environment: 'SomeEnvironment/Prod',
      document: yaml,
      flags: { revision: 3, method: 'Surge', maxOver: 2 },
    });
    expect(request).toEqual({
      name: 'SomeEnvironment/Prod',
      body: {
        Name: 'SomeEnvironment/Prod',
        TaskDefinition: 'log-daemon:1',
        Cluster: 'default',
        InstanceGroup: { Query: 'attribute:stack == prod' },
        DeploymentType: 'Daemon',
        DeploymentConfiguration: { Method: 'Surge', MinHealthyPercent: '100', MaxOver: 2 },
        Revision: 3,
      },
    });
  });

  it('a spec file that is not a mapping goes as written, for the API to explain', async () => {
    const broken = rawDocument('application/yaml', 'Name: [unclosed\n');
    expect(await buildUpdateRequest({ environment: 'e', document: broken, flags: { revision: 1 } })).toEqual({ name: 'e', body: broken });
    await expect(buildUpdateRequest({ document: broken, flags: {} })).rejects.toThrow(/no Name/);
  });
});
