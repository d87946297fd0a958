import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { importCycles, importGraph } from '../support/architecture/import-cycles';
import { REPO_ROOT, sourceFiles } from '../support/architecture/source-files';
import { readdirSync, readFileSync } from 'node:fs';
import { SCHEMA_HISTORY, TABLE_OWNERS, tableOwnershipViolations } from '../support/architecture/table-ownership';

/** ESLint's verdict on `text` as if it were the file `path` of the repository. */
function lint(path: string, text: string): { ruleId: string | null; message: string }[] {
  const eslint = join(REPO_ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');
  const result = spawnSync(process.execPath, [eslint, '--stdin', '--stdin-filename', path, '--format', 'json'], {
    cwd: REPO_ROOT,
    input: text,
    encoding: 'utf8',
  });
  const [report] = JSON.parse(result.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return report.messages.map(({ ruleId, message }) => ({ ruleId, message }));
}

/**
 * The architecture's mechanical rules (docs/architecture.md): no import cycles
 * in src; each table named in SQL only by the module that owns it, and only
 * the owners importing the database driver. Each rule is also shown to fail
 * on a violation planted in the real tree.
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

  describe('files and docs', () => {
    const LONG = 350;

    it(`no file in src is over ${LONG} lines unless its header says it is one cohesive thing`, () => {
      const long = sourceFiles('src')
        // A released migration is never edited, whatever its length.
        .filter((file) => !file.path.startsWith(SCHEMA_HISTORY))
        .filter((file) => file.text.split('\n').length > LONG)
        .filter((file) => !/^\s*(\/\*\*?[\s\S]*?\*\/|(\/\/.*\n)+)/.exec(file.text)?.[0].includes('cohesive'))
        .map((file) => `${file.path}: ${file.text.split('\n').length} lines`);
      expect(long).toEqual([]);
    });

    it('docs/architecture.md names every module of src and every owned table', () => {
      const doc = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
      const folders = readdirSync(join(REPO_ROOT, 'src'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `src/${entry.name}`);
      expect(folders.filter((folder) => !doc.includes(`\`${folder}\``))).toEqual([]);
      expect(Object.keys(TABLE_OWNERS).filter((table) => !doc.includes(`\`${table}\``))).toEqual([]);
    });
  });

  describe('layers', () => {
    it('the event store imports none of the modules built on it', () => {
      // contract: the API's pure types and functions (a leaf: it imports only itself and the fold).
      const below = ['event-store', 'projection', 'envelope', 'contract', 'common', 'config', 'metrics'];
      const strays = [...importGraph(sourceFiles('src'))]
        .filter(([file]) => file.startsWith('src/event-store/'))
        .flatMap(([file, imports]) => imports.map((target) => `${file} -> ${target}`))
        .filter((edge) => !below.some((module) => edge.split(' -> ')[1].startsWith(`src/${module}/`)));
      expect(strays).toEqual([]);
    });
  });

  describe('the SDK', () => {
    it('imports only the API contract and the pure envelope and fold, never a server module', () => {
      const graph = importGraph(sourceFiles('src'));
      const allowed: Record<string, string[]> = {
        'src/client/': ['src/client/', 'src/contract/', 'src/envelope/', 'src/projection/'],
        'src/contract/': ['src/contract/', 'src/projection/'],
      };
      const strays = [...graph].flatMap(([file, imports]) => {
        const folder = Object.keys(allowed).find((prefix) => file.startsWith(prefix));
        if (!folder) return [];
        return imports
          .filter((target) => !allowed[folder].some((prefix) => target.startsWith(prefix)))
          .map((target) => `${file} -> ${target}`);
      });
      expect(strays).toEqual([]);
    });
  });

  describe('table ownership', () => {
    it('tables are named in SQL only by their owners', () => {
      expect(tableOwnershipViolations(sourceFiles('src'))).toEqual([]);
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

  describe('database access', () => {
    const planted = `import { DataSource } from 'typeorm';\nexport type Planted = DataSource;\n`;

    it('ESLint refuses the database driver outside the tables’ owners', () => {
      expect(lint('src/watch/planted.ts', planted)).toEqual([
        {
          ruleId: 'no-restricted-imports',
          message: expect.stringContaining("Only a table's owner talks to the database"),
        },
      ]);
    });

    it('and accepts it in an owner', () => {
      expect(lint('src/ingest/dead-letters/dead-letter-store.ts', planted)).toEqual([]);
    });
  });
});
