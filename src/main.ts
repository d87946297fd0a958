import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app-factory';
import { ApiKeyRegistry } from './auth/api-key-registry';
import { describeFailpoints } from './common/failpoint-plan';
import { failpoints } from './common/failpoints';
import { ConfigError, loadConfig } from './config/app-config';
import { provideInfrastructure } from './local-infra/local-infrastructure';

async function main(): Promise<void> {
  const logger = new Logger('opledger');
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // `npm start -- --rebuild-on-start`: the same as REBUILD_ON_START=true.
  if (process.argv.includes('--rebuild-on-start')) config = { ...config, rebuildOnStart: true };

  if (config.failpoints.length > 0) {
    failpoints.arm(config.failpoints);
    logger.warn(
      `OPLEDGER_FAILPOINTS is set: THIS PROCESS WILL CRASH, STALL OR FAIL ON PURPOSE at ${describeFailpoints(config.failpoints)} (test only)`,
    );
  }
  if (config.apiKeys.length === 0) {
    logger.warn(
      `no API keys configured (API_KEYS, API_KEYS_FILE): authentication is off, listening on ${config.host} only`,
    );
  }
  const infrastructure = await provideInfrastructure(config, (line) => logger.log(line));
  let stopping = false;
  const app = await createApp(infrastructure.config).catch(async (error: unknown) => {
    await infrastructure.stop();
    throw error;
  });

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: finishing the batch in flight and shutting down`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown took longer than ${infrastructure.config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, infrastructure.config.shutdownTimeoutMs);
    deadline.unref();
    try {
      await app.close();
      await infrastructure.stop();
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${String(error)}`);
      process.exit(1);
    }
  };
  // Revoke or add keys without a restart: API_KEYS_FILE is read again (it is also watched for changes).
  process.on('SIGHUP', () => void app.get(ApiKeyRegistry).reload('SIGHUP'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen(infrastructure.config.port, infrastructure.config.host);
  logger.log(`listening on http://${infrastructure.config.host}:${infrastructure.config.port}`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `opledger failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
