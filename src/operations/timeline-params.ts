import { VersionQuery } from '../common/integer-params';

export class TimelineParams {
  @VersionQuery({
    example: 4,
    description:
      'Time travel: the timeline right after the event with this version (folded from versions 1..atVersion, ' +
      "attempts from the same events; running stages then end at that state's updatedAt, not now). 404 if the " +
      'operation had no events then.',
  })
  atVersion?: number;
}
