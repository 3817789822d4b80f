/** Test support: the real API handlers served on a fresh table of the test run's DynamoDB Local. */
import type { LocalApi, LocalApiOptions } from '../../local/api';
import { startLocalApi } from '../../local/api';
import { freshTable } from './store';

export interface TestApi extends LocalApi {
  tableName: string;
  endpoint: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
}

export async function startTestApi(options: Pick<LocalApiOptions, 'extraDeps' | 'clock'> = {}): Promise<TestApi> {
  const { tableName, endpoint } = await freshTable();
  const api = await startLocalApi({ dynamoEndpoint: endpoint, tableName, ...options });
  const call: TestApi['call'] = async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
    }
    const response = await fetch(`${api.url}${path}`, init);
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return { ...api, tableName, endpoint, call };
}

export const env = (name: string) => `/environments/${encodeURIComponent(name)}`;
