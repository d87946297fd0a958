import { Controller, Get, Headers } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems } from '../openapi/decorators';
import { WhoAmIDto } from '../openapi/schemas/whoami.schema';
import { ApiKeyRegistry } from './api-key-registry';
import type { Role } from './roles';

@ApiTags('auth')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/whoami')
export class WhoAmIController {
  constructor(private readonly keys: ApiKeyRegistry) {}

  /** The guard has already refused a missing or unknown key; this only says which role it has. */
  @Get()
  @ApiOperation({
    summary: "The caller's role",
    description:
      'The role of the API key sent, so that a client (the console) shows only what that role may do. ' +
      'Without API keys configured: `admin`, authentication off. Role: reader.',
  })
  @ApiOkResponse({ type: WhoAmIDto, description: 'The role.' })
  @ApiAuthProblems('reader', '/v1/whoami')
  whoami(@Headers('authorization') authorization: string | undefined): { role: Role; authentication: boolean } {
    if (!this.keys.enabled) return { role: 'admin', authentication: false };
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '';
    const key = this.keys.find(presented);
    // Unreachable without a valid key (the guard answers 401 first); reader is the least it could be.
    return { role: key?.role ?? 'reader', authentication: true };
  }
}
