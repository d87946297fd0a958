import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyRegistry } from './api-key-registry';
import { WhoAmIController } from './whoami.controller';

/** API keys and roles; the registry of keys in force is global: the watch streams and the rate limits use it. */
@Global()
@Module({
  controllers: [WhoAmIController],
  providers: [ApiKeyRegistry, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeyRegistry],
})
export class AuthModule {}
