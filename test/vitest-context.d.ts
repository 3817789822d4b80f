export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the DynamoDB Local started by test/global-setup.ts, e.g. `http://127.0.0.1:45123`. */
    dynamoEndpoint: string;
  }
}
