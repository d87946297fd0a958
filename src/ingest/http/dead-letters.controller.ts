import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, Max, Min } from 'class-validator';
import { RequireRole } from '../../auth/route-access';
import { API_KEY_SCHEME } from '../../openapi/api-key-scheme';
import { ApiAuthProblems, ApiProblemResponse, PROBLEM_EXAMPLES } from '../../openapi/decorators';
import {
  DeadLetterPageDto,
  RepublishDeadLettersRequestDto,
  RepublishDeadLettersResultDto,
} from '../../openapi/schemas/dead-letter.schema';
import { RepublishDeadLettersCommand } from '../dead-letters/commands/republish-dead-letters.command';
import { ListDeadLettersQuery } from '../dead-letters/queries/list-dead-letters.query';
import { IdCursorQuery, INTEGER_KINDS } from '../../common/integer-params';
import { PageLimit } from '../../common/page-limit';

export class DeadLettersParams {
  @PageLimit(500, 50, 'dead letters')
  limit?: number;

  /** The nextCursor of a previous page: the id of the last dead letter seen. */
  @IdCursorQuery(
    { example: '17', description: 'The `nextCursor` of the previous page.' },
    'cursor must come from a previous page (nextCursor)',
  )
  cursor?: number;
}

const DEAD_LETTER_ID_RANGE = `each id must be an integer from 1 to ${INTEGER_KINDS.position.maximum}`;

export class RepublishDeadLettersBody {
  @ApiProperty({ type: 'integer', isArray: true, minItems: 1, maxItems: 500, example: [17, 18] })
  @IsArray({ message: 'ids must be an array of dead-letter ids' })
  @ArrayMinSize(1, { message: 'ids must name 1 to 500 dead letters' })
  @ArrayMaxSize(500, { message: 'ids must name 1 to 500 dead letters' })
  @IsInt({ each: true, message: 'each id must be an integer' })
  @Min(1, { each: true, message: DEAD_LETTER_ID_RANGE })
  @Max(INTEGER_KINDS.position.maximum, { each: true, message: DEAD_LETTER_ID_RANGE })
  ids!: number[];
}

@ApiTags('admin')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
  ) {}

  /** Refused inputs with their reasons, newest first. */
  @Get()
  @RequireRole('admin')
  @ApiOperation({
    summary: 'List dead letters',
    description:
      'Inputs that could not be stored (from Kafka: also published to the dead-letter topic), newest first, ' +
      'with the reason and the original key, value and headers. Role: admin.',
  })
  @ApiOkResponse({ type: DeadLetterPageDto, description: 'A page of dead letters.' })
  @ApiProblemResponse(400, 'A bad `limit` or `cursor`, or an unknown query parameter.', {
    badLimit: PROBLEM_EXAMPLES.badLimit('/v1/dead-letters', 500),
    badCursor: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'cursor must come from a previous page (nextCursor)',
      instance: '/v1/dead-letters?cursor=abc',
      field: 'cursor',
    },
    unknownParameter: PROBLEM_EXAMPLES.unknownParameter('/v1/dead-letters'),
  })
  @ApiAuthProblems('admin', '/v1/dead-letters')
  async list(@Query() params: DeadLettersParams) {
    const page = await this.queries.execute(
      new ListDeadLettersQuery(params.cursor === undefined ? null : Number(params.cursor), params.limit ?? 50),
    );
    return { items: page.items, nextCursor: page.nextBeforeId === null ? null : String(page.nextBeforeId) };
  }

  /** After fixing what refused them (a limit, a producer bug), send dead letters through ingest again. */
  @Post('republish')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({
    summary: 'Re-publish dead letters',
    description:
      'Sends the chosen Kafka dead letters back to the main topic with their original key, value and headers ' +
      '(plus `x-opledger-republished-from: <id>`). Ingest then treats them like any record: if the cause was ' +
      'fixed they are stored, else they come back as new dead letters. Role: admin.',
  })
  @ApiBody({ type: RepublishDeadLettersRequestDto })
  @ApiOkResponse({ type: RepublishDeadLettersResultDto, description: 'What was re-published.' })
  @ApiProblemResponse(400, 'No ids, more than 500, or ids that are not positive integers.', {
    noIds: {
      type: 'validation',
      title: 'Invalid request',
      status: 400,
      detail: 'ids must name 1 to 500 dead letters',
      instance: '/v1/dead-letters/republish',
      field: 'ids',
    },
  })
  @ApiAuthProblems('admin', '/v1/dead-letters/republish')
  republish(@Body() body: RepublishDeadLettersBody) {
    return this.commands.execute(new RepublishDeadLettersCommand(body.ids));
  }
}
