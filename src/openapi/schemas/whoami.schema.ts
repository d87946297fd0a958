import { ApiProperty } from '@nestjs/swagger';
import { ROLES } from '../../auth/roles';
import { ClosedSchema } from '../decorators';

@ClosedSchema('WhoAmI', 'What the caller may do: the role of its API key.')
export class WhoAmIDto {
  @ApiProperty({
    enum: ROLES,
    example: 'reader',
    description: "The key's role; `admin` when the service has no API keys (everything is open on loopback).",
  })
  role!: string;

  @ApiProperty({
    example: true,
    description: 'Whether the service checks API keys (false: no keys configured, loopback only).',
  })
  authentication!: boolean;
}
