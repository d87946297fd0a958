import type { ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';

const READINESS_POLL_MS = 250;

/** Polls until a Kafka client gets cluster metadata from the broker, or the deadline passes. */
export async function waitUntilBrokerAnswers(
  brokers: string,
  child: ChildProcess,
  timeoutMs: number,
  describeFailure: () => string,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'local-kafka-readiness',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the Kafka broker exited during startup (${child.signalCode ?? `exit ${child.exitCode}`})${describeFailure()}`,
      );
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.listTopics();
      // Finding a group coordinator makes the broker create __consumer_offsets now, so the first
      // consumer of a test joins at once instead of retrying "coordinator not available".
      await admin.describeGroups(['local-kafka-readiness']);
      if (cluster.brokers.length > 0) return;
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(
        `the Kafka broker did not answer on ${brokers} within ${timeoutMs} ms (last error: ${reason})${describeFailure()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS));
  }
}
