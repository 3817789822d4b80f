/**
 * The SQS SDK the queue adapters use (sqs-action-queue.ts, sqs-wakeups.ts, sqs-redelivery.ts,
 * sqs-reconcile-queue.ts): the client and the commands they send, in a module of their own so it can
 * be imported on first use (`sqsSdk()`): esbuild puts it and the client in a chunk read on the first
 * send, not at cold start.
 */
export { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
