import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_KEY_SCHEME } from '../openapi/api-key-scheme';
import { ApiAuthProblems } from '../openapi/decorators';
import { IngestStatusDto } from '../openapi/schemas/ingest-status.schema';
import { IngestStatusService } from './ingest-status.service';

@ApiTags('stats')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/stats/ingest')
export class IngestStatusController {
  constructor(private readonly status: IngestStatusService) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Is ingest keeping up?',
    description:
      "This instance's consumer (connected, in its group, partitions), its consumer lag (records between the " +
      "group's committed offsets and the ends of its partitions, measured at most every 2 s) and the number of " +
      'dead letters (counted incrementally: cheap to poll). Role: reader.',
  })
  @ApiOkResponse({ type: IngestStatusDto, description: 'The status.' })
  @ApiAuthProblems('reader', '/v1/stats/ingest')
  ingest() {
    return this.status.status();
  }
}
