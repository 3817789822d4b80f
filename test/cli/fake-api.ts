/**
 * A tiny stand-in for the Blox HTTP API: a `node:http` server on a random local port that records
 * every request and answers from a handler.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as received (percent-encoding intact). */
  url: string;
  /** Path only, as received. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export type Handler = (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeApi {
  url: string;
  requests: RecordedRequest[];
  /** Replace the handler (default: 404 NotFound for everything). */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export const notFound: Handler = (request) => ({
  status: 404,
  body: { error: { code: 'NotFound', message: `no route ${request.method} ${request.path}` } },
});

export async function startFakeApi(handler: Handler = notFound): Promise<FakeApi> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const queryStart = url.indexOf('?');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url,
        path: queryStart === -1 ? url : url.slice(0, queryStart),
        query: new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1)),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      Promise.resolve(current(recorded))
        .then((response) => {
          const text = response.rawBody ?? (response.body === undefined ? '' : JSON.stringify(response.body));
          res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
          res.end(text);
        })
        .catch((error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'InternalError', message: String(error) } }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The walkthrough's world, as the API would answer it. */
export const WALKTHROUGH_YAML = `Name: "SomeEnvironment/Prod"
TaskDefinition: "log-daemon:1"
Cluster: "default"
InstanceGroup:
  Query: "attribute:stack == prod"
DeploymentType: Daemon
DeploymentConfiguration:
  Method: "Replace" # (or "Surge")
  MinHealthyPercent: "100"
`;

export const STATUS_UNDEPLOYING = {
  EnvironmentName: 'SomeEnvironment/Prod',
  Status: 'Deploying',
  Frozen: false,
  Revisions: [
    { EnvironmentRevision: 1, Revision: 'SomeEnvironment/Prod:1', Status: 'Undeploying', Desired: 0, Current: 5, StatusReason: null },
    { EnvironmentRevision: 2, Revision: 'SomeEnvironment/Prod:2', Status: 'Deploying', Desired: 5, Current: 0, StatusReason: null },
  ],
};

export const DESCRIPTION_SUSPENDED = {
  EnvironmentName: 'SomeEnvironment/Prod',
  Status: 'Suspended',
  Desired: 6,
  Current: 3,
  Frozen: true,
  LatestRevision: 3,
  ActiveRevision: null,
  DeployingRevision: 3,
  Deployment: { DeploymentId: 'SomeEnvironment/Prod:3@2026112110000000', Revision: 3, Kind: 'deploy', StartedAt: '2026-11-21T10:00:00.000Z' },
  Spec: { Name: 'SomeEnvironment/Prod', TaskDefinition: 'log-daemon:3', DeploymentType: 'Daemon' },
  Version: 7,
  CreatedAt: '2026-11-21T09:00:00.000Z',
  UpdatedAt: '2026-11-21T10:00:00.000Z',
};
