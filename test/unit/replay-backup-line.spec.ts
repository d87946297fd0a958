import type { StoredEvent } from '../../src/envelope/operation-event';
import { BackupLineError, parseBackupLine, toBackupLine } from '../../src/replay/backup/backup-line';

const stored: StoredEvent = {
  id: 'e-1',
  operationId: 'order-42',
  version: 3,
  position: 17,
  type: 'stage.failed',
  source: 'pipeline/ocr',
  time: '2026-11-25T16:00:00.123456Z',
  recordedAt: '2026-11-25T16:00:01.000000Z',
  data: { stage: 'ocr', error: { code: 'E42' } },
  expectedVersion: null,
};

describe('backup lines', () => {
  it('writes a CloudEvent with version, position and recordedat, and reads it back', () => {
    const line = toBackupLine(stored);
    expect(JSON.parse(line)).toEqual({
      specversion: '1.0',
      id: 'e-1',
      source: 'pipeline/ocr',
      type: 'stage.failed',
      subject: 'order-42',
      time: '2026-11-25T16:00:00.123456Z',
      data: { stage: 'ocr', error: { code: 'E42' } },
      version: 3,
      position: 17,
      recordedat: '2026-11-25T16:00:01.000000Z',
    });
    expect(parseBackupLine(line, 1)).toEqual({
      event: {
        id: 'e-1',
        operationId: 'order-42',
        type: 'stage.failed',
        source: 'pipeline/ocr',
        time: '2026-11-25T16:00:00.123456Z',
        data: { stage: 'ocr', error: { code: 'E42' } },
        expectedVersion: null,
      },
      version: 3,
    });
  });

  it('omits null data and never carries a condition into the import', () => {
    const line = toBackupLine({ ...stored, type: 'operation.created', data: null });
    expect(JSON.parse(line)).not.toHaveProperty('data');
    const withCondition = JSON.stringify({ ...JSON.parse(line), expectedversion: 2 });
    expect(parseBackupLine(withCondition, 1).event.expectedVersion).toBeNull();
  });

  it('names the line of anything the ingest rules refuse', () => {
    expect(() => parseBackupLine('{oops', 7)).toThrow(new BackupLineError(7, 'is not JSON'));
    expect(() => parseBackupLine(JSON.stringify({ ...JSON.parse(toBackupLine(stored)), subject: 'a b' }), 9)).toThrow(
      /^line 9: subject/,
    );
  });
});
