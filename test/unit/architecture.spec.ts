import { importCycles, importGraph } from '../support/architecture/import-cycles';
import { sourceFiles } from '../support/architecture/source-files';
import { tableOwnershipViolations } from '../support/architecture/table-ownership';

/**
 * The architecture's two mechanical rules (docs/architecture.md): no import
 * cycles in src, and each table named in SQL only by the module that owns it.
 * Each rule is also shown to fail on a violation planted in the real tree.
 */
describe('architecture', () => {
  describe('import cycles', () => {
    it('src has none, type-only imports included', () => {
      expect(importCycles(importGraph(sourceFiles('src')))).toEqual([]);
    });

    it('a planted cycle is found and named file by file', () => {
      // The cycle issue 16 found: the configuration parses API keys, which name roles; roles imported the config.
      const roles = sourceFiles('src').find((f) => f.path === 'src/auth/roles.ts')!;
      const planted = sourceFiles('src', {
        'src/auth/roles.ts': `import type { ResolvedConfig } from '../config/app-config';\n${roles.text}`,
      });
      expect(importCycles(importGraph(planted))).toEqual([
        ['src/auth/api-keys.ts', 'src/auth/roles.ts', 'src/config/app-config.ts', 'src/auth/api-keys.ts'],
      ]);
    });
  });

  describe('table ownership', () => {
    /**
     * SQL still outside its owner, to be moved behind the owner's methods
     * (issue 16): this list may only shrink. A file that stops naming a
     * table must leave the list, so that it cannot grow back unnoticed.
     */
    const KNOWN: Record<string, string[]> = {
      'src/console/ingest-status.service.ts': ['dead_letters'],
      'src/event-store/event-store.entities.ts': ['dead_letters'],
      'src/ingest/dead-letter.service.ts': ['dead_letters'],
      'src/replay/replay-job-store.ts': ['replay_jobs'],
    };

    const byFile = (violations: ReturnType<typeof tableOwnershipViolations>) => {
      const tables: Record<string, string[]> = {};
      for (const v of violations) tables[v.file] = [...new Set([...(tables[v.file] ?? []), v.table])].sort();
      return tables;
    };

    it('tables are named in SQL only by their owners (and the known rest, which only shrinks)', () => {
      expect(byFile(tableOwnershipViolations(sourceFiles('src')))).toEqual(KNOWN);
    });

    it('a planted query on another module’s table is found, with its file and line', () => {
      const planted = sourceFiles('src', {
        'src/watch/planted.ts': [
          `export const newest = async (db: { query(sql: string): Promise<unknown> }) =>`,
          `  db.query('SELECT max(position) FROM operation_events');`,
        ].join('\n'),
      });
      expect(tableOwnershipViolations(planted).filter((v) => v.file === 'src/watch/planted.ts')).toEqual([
        {
          file: 'src/watch/planted.ts',
          line: 2,
          table: 'operation_events',
          excerpt: 'SELECT max(position) FROM operation_events',
        },
      ]);
    });

    it('a table name passed through a constant is found too; "operations" in prose is not', () => {
      const planted = sourceFiles('src', {
        'src/watch/planted.ts': [
          `const TABLE = 'dead_letters';`,
          'export const sql = `SELECT count(*) FROM ${TABLE}`;',
          `export const tag = 'operations';`,
          `export const prose = 'Lists operations from the newest';`,
        ].join('\n'),
      });
      expect(tableOwnershipViolations(planted).filter((v) => v.file === 'src/watch/planted.ts')).toEqual([
        { file: 'src/watch/planted.ts', line: 1, table: 'dead_letters', excerpt: 'dead_letters' },
      ]);
    });
  });
});
