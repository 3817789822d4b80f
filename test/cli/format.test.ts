import { describe, expect, it } from 'vitest';
import type { EnvironmentDescription, EnvironmentStatus, EnvironmentSummary, RevisionStatusName } from '../../cli/client';
import {
  columnWidth,
  formatEnvironmentListTable,
  formatEnvironmentTable,
  formatErrorLine,
  formatJson,
  formatStatusTable,
  renderTable,
  statusTablePrinter,
} from '../../cli/format';

const NAME = 'SomeEnvironment/Prod';

function status(rows: [number, RevisionStatusName, number, number][], name = NAME): EnvironmentStatus {
  return {
    EnvironmentName: name,
    Status: rows[rows.length - 1]?.[1] ?? 'Created',
    Frozen: false,
    Revisions: rows.map(([revision, state, desired, current]) => ({
      EnvironmentRevision: revision,
      Revision: `${name}:${revision}`,
      Status: state,
      Desired: desired,
      Current: current,
      StatusReason: null,
    })),
  };
}

function description(state: 'Suspended' | 'Deploying', desired: number, current: number): EnvironmentDescription {
  return {
    EnvironmentName: NAME,
    Status: state,
    Desired: desired,
    Current: current,
    Frozen: state === 'Suspended',
    LatestRevision: 3,
    ActiveRevision: null,
    DeployingRevision: 3,
    Deployment: null,
    Spec: {},
  };
}

/** Whitespace-separated tokens of each line: the walkthrough's tables are not all spaced alike. */
const tokens = (text: string) => text.split('\n').map((line) => line.trim().split(/\s+/));

describe('formatJson', () => {
  it('prints the walkthrough one-liners exactly', () => {
    expect(formatJson({ EnvironmentRevision: 1 })).toBe('{ "EnvironmentRevision": 1 }');
    expect(formatJson({ DeploymentId: 'SomeEnvironment/Prod:1@2017090611472301' })).toBe(
      '{ "DeploymentId": "SomeEnvironment/Prod:1@2017090611472301" }',
    );
  });

  it('keeps small flat objects on one line and drops undefined values', () => {
    expect(formatJson({ EnvironmentName: NAME, Status: 'Suspended', Extra: undefined })).toBe(
      '{ "EnvironmentName": "SomeEnvironment/Prod", "Status": "Suspended" }',
    );
    expect(formatJson({})).toBe('{}');
  });

  it('pretty-prints nested, long or many-keyed objects with two spaces', () => {
    const nested = { Environments: [{ EnvironmentName: NAME }] };
    expect(formatJson(nested)).toBe(JSON.stringify(nested, null, 2));
    const many = { A: 1, B: 2, C: 3, D: 4, E: 5 };
    expect(formatJson(many)).toBe(JSON.stringify(many, null, 2));
    const long = { Message: 'x'.repeat(120) };
    expect(formatJson(long)).toBe(JSON.stringify(long, null, 2));
    expect(formatJson([1, 2])).toBe('[\n  1,\n  2\n]');
  });
});

describe('formatStatusTable', () => {
  it('matches the walkthrough rows character for character (STATUS 13 wide)', () => {
    expect(formatStatusTable(status([[1, 'Undeploying', 0, 5], [2, 'Deploying', 5, 0]]))).toBe(
      [
        'REVISION                  STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod:1    Undeploying  0         5',
        'SomeEnvironment/Prod:2    Deploying    5         0',
      ].join('\n'),
    );
    expect(formatStatusTable(status([[1, 'Inactive', 0, 0], [2, 'Active', 6, 6]]))).toBe(
      [
        'REVISION                  STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod:1    Inactive     0         0',
        'SomeEnvironment/Prod:2    Active       6         6',
      ].join('\n'),
    );
    expect(formatStatusTable(status([[1, 'Undeploying', 0, 3], [2, 'Deploying', 10, 8]]))).toBe(
      [
        'REVISION                  STATUS       DESIRED   CURRENT',
        'SomeEnvironment/Prod:1    Undeploying  0         3',
        'SomeEnvironment/Prod:2    Deploying    10        8',
      ].join('\n'),
    );
  });

  // Every table of the walkthrough, compared token by token (its spacing varies from table to table).
  const walkthrough: { rows: [number, RevisionStatusName, number, number][]; text: string }[] = [
    { rows: [[1, 'Created', 0, 0]], text: 'REVISION                  STATUS     DESIRED   CURRENT\nSomeEnvironment/Prod:1    Created    0         0' },
    { rows: [[1, 'Deploying', 5, 0]], text: 'REVISION                  STATUS          DESIRED   CURRENT\nSomeEnvironment/Prod:1    Deploying       5         0' },
    { rows: [[1, 'Deploying', 5, 3]], text: 'REVISION                  STATUS          DESIRED   CURRENT\nSomeEnvironment/Prod:1    Deploying       5         3' },
    { rows: [[1, 'Stuck', 5, 4]], text: 'REVISION                  STATUS          DESIRED   CURRENT\nSomeEnvironment/Prod:1    Stuck           5         4' },
    { rows: [[1, 'Active', 5, 5]], text: 'REVISION                  STATUS          DESIRED   CURRENT\nSomeEnvironment/Prod:1    Active          5         5' },
    {
      rows: [[1, 'Active', 5, 5], [2, 'Created', 0, 0]],
      text: 'REVISION                  STATUS     DESIRED   CURRENT\nSomeEnvironment/Prod:1    Active     5         5\nSomeEnvironment/Prod:2    Created    0         0',
    },
    {
      rows: [[1, 'Undeploying', 0, 4], [2, 'Deploying', 5, 1]],
      text: 'REVISION                  STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod:1    Undeploying  0         4\nSomeEnvironment/Prod:2    Deploying    5         1',
    },
    {
      rows: [[1, 'Deploying', 5, 0], [2, 'Reverting', 0, 5]],
      text: 'REVISION                  STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod:1    Deploying    5         0\nSomeEnvironment/Prod:2    Reverting    0         5',
    },
    {
      rows: [[1, 'Active', 5, 5], [2, 'Reverted', 0, 0]],
      text: 'REVISION                  STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod:1    Active       5         5\nSomeEnvironment/Prod:2    Reverted     0         0',
    },
    {
      rows: [[2, 'Undeploying', 0, 3], [3, 'Stuck', 6, 3]],
      text: 'REVISION                  STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod:2    Undeploying  0         3\nSomeEnvironment/Prod:3    Stuck        6         3',
    },
    {
      rows: [[2, 'Stuck', 0, 3], [3, 'Failing', 6, 3]],
      text: 'REVISION                  STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod:2    Stuck        0         3\nSomeEnvironment/Prod:3    Failing      6         3',
    },
  ];
  it.each(walkthrough)('has the walkthrough tokens: $text', ({ rows, text }) => {
    const table = formatStatusTable(status(rows));
    expect(tokens(table)).toEqual(tokens(text));
    // …and the first column is exactly where the walkthrough puts it.
    for (const line of table.split('\n')) {
      expect(line.slice(22, 26)).toBe('    ');
      expect(line[26]).toMatch(/\S/);
    }
  });

  it('widens columns for long names and statuses and never leaves trailing spaces', () => {
    const longName = 'A/Very/Long/Environment/Name';
    const table = formatStatusTable(status([[12, 'Undeploying', 100, 99]], longName));
    const [header, row] = table.split('\n');
    expect(header).toBe(`${'REVISION'.padEnd(`${longName}:12`.length + 4)}STATUS       DESIRED   CURRENT`);
    expect(row).toBe(`${`${longName}:12`.padEnd(`${longName}:12`.length + 4)}Undeploying  100       99`);
    expect(table.split('\n').every((line) => line === line.trimEnd())).toBe(true);
  });

  it('prints only the header when there are no revisions', () => {
    expect(formatStatusTable({ EnvironmentName: NAME, Status: 'Created', Frozen: false, Revisions: [] })).toBe(
      'REVISION                  STATUS       DESIRED   CURRENT',
    );
  });
});

describe('formatEnvironmentTable', () => {
  it('matches the walkthrough exactly', () => {
    expect(formatEnvironmentTable(description('Suspended', 6, 3))).toBe(
      'ENVIRONMENT               STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod      Suspended    6         3',
    );
    expect(formatEnvironmentTable(description('Deploying', 6, 3))).toBe(
      'ENVIRONMENT               STATUS       DESIRED   CURRENT\nSomeEnvironment/Prod      Deploying    6         3',
    );
  });
});

describe('formatEnvironmentListTable', () => {
  const summary = (name: string, overrides: Partial<EnvironmentSummary>): EnvironmentSummary => ({
    EnvironmentName: name,
    Status: 'Active',
    LatestRevision: 2,
    ActiveRevision: 2,
    DeployingRevision: null,
    Frozen: false,
    Desired: 5,
    Current: 5,
    ...overrides,
  });

  it('lists ENVIRONMENT STATUS REVISION DESIRED CURRENT in the same style', () => {
    const table = formatEnvironmentListTable([
      summary(NAME, {}),
      summary('SomeEnvironment/Beta', { Status: 'Deploying', LatestRevision: 3, DeployingRevision: 3, Desired: 6, Current: 3 }),
      summary('New', { Status: 'Created', LatestRevision: 1, ActiveRevision: null, Desired: 0, Current: 0 }),
    ]);
    expect(table).toBe(
      [
        'ENVIRONMENT               STATUS       REVISION  DESIRED   CURRENT',
        'SomeEnvironment/Prod      Active       2         5         5',
        'SomeEnvironment/Beta      Deploying    3         6         3',
        'New                       Created      1         0         0',
      ].join('\n'),
    );
  });

  it('prints only the header for no environments', () => {
    expect(formatEnvironmentListTable([])).toBe('ENVIRONMENT               STATUS       REVISION  DESIRED   CURRENT');
  });
});

describe('renderTable and columnWidth', () => {
  it('applies the column rule', () => {
    expect(columnWidth('first', ['SomeEnvironment/Prod:1'])).toBe(26);
    expect(columnWidth('first', ['x'.repeat(30)])).toBe(34);
    expect(columnWidth('status', ['Undeploying'])).toBe(13);
    expect(columnWidth('status', ['Active'])).toBe(13);
    expect(columnWidth('number', ['DESIRED', '10'])).toBe(10);
  });

  it('pads every column but the last and trims the end', () => {
    expect(
      renderTable(
        [
          { header: 'A', kind: 'first' },
          { header: 'B', kind: 'last' },
        ],
        [['x', '']],
      ),
    ).toBe(`${'A'.padEnd(26)}B\nx`);
  });
});

describe('formatErrorLine', () => {
  it('prints one line, prefixed with blox:', () => {
    expect(formatErrorLine('InstanceGroup.Query: expected a value\n  attribute:stack ==\n                    ^')).toBe(
      'blox: InstanceGroup.Query: expected a value attribute:stack == ^',
    );
    expect(formatErrorLine('')).toBe('blox: unknown error');
  });
});

describe('statusTablePrinter (describe-environment-status --all --table, a page at a time)', () => {
  const long = 'SomeEnvironment/Production'; // 26 characters
  const pages: Array<[number, RevisionStatusName, number, number][]> = [
    [[8, 'Inactive', 0, 0], [9, 'Inactive', 0, 0]],
    [[10, 'Undeploying', 0, 12], [11, 'Deploying', 12, 0]],
  ];

  it('knowing the widest label to come, prints exactly the table of all the rows at once', () => {
    const print = statusTablePrinter({ widestRevision: `${long}:11` });
    const printed = pages.map((rows) => print(status(rows, long))).join('\n');
    expect(printed).toBe(formatStatusTable(status(pages.flat(), long)));
    // "SomeEnvironment/Production:11" is 29 characters: 33 wide from the first page on.
    expect(printed.split('\n')[1]).toBe(`${`${long}:8`.padEnd(33)}Inactive     0         0`);
  });

  it('one page: the same as formatStatusTable; an empty later page prints nothing', () => {
    const print = statusTablePrinter();
    expect(print(status(pages[0]!))).toBe(formatStatusTable(status(pages[0]!)));
    expect(print(status([]))).toBe('');
  });

  it('not knowing it, widens a column from the page that needs it on', () => {
    const print = statusTablePrinter();
    expect(print(status(pages[0]!, long)).split('\n')[1]).toBe(`${`${long}:8`.padEnd(32)}Inactive     0         0`);
    expect(print(status(pages[1]!, long)).split('\n')[0]).toBe(`${`${long}:10`.padEnd(33)}Undeploying  0         12`);
  });
});

