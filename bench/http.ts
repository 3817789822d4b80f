/** A minimal client of the local HTTP API for the benchmarks: every call must succeed. */

export const envPath = (name: string): string => `/environments/${encodeURIComponent(name)}`;

export interface ApiClient {
  /** Sends one request; throws unless the status is 2xx. Resolves once the whole body is read. */
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>;
}

export function apiClient(baseUrl: string): ApiClient {
  return {
    async call(method, path, body) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { 'content-type': 'application/json' };
      }
      const response = await fetch(`${baseUrl}${path}`, init);
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
      return text ? (JSON.parse(text) as unknown) : undefined;
    },
  };
}

/** The spec every benchmark environment starts from (a realistic, small Daemon spec). */
export function benchSpec(name: string) {
  return {
    Name: name,
    TaskDefinition: 'd:1',
    Cluster: 'default',
    InstanceGroup: { Query: 'attribute:stack == prod' },
    DeploymentType: 'Daemon',
    DeploymentConfiguration: { Method: 'Replace', MinHealthyPercent: 100 },
  };
}
