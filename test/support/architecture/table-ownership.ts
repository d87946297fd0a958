import * as ts from 'typescript';
import type { SourceFile } from './source-files';

/**
 * Which folder of src may name each table in SQL: the module that owns it
 * (docs/architecture.md, "Modules and what they own"). Everyone else goes
 * through the owner's methods.
 */
export const TABLE_OWNERS: Readonly<Record<string, string>> = {
  // The log and the projection, written together by the append.
  operation_events: 'src/event-store/',
  operations: 'src/event-store/',
  projection_definitions: 'src/event-store/',
  // The read models beside the projection, kept by its triggers and by the append (migration 1764000500000).
  operation_status_counts: 'src/event-store/read-models/',
  operation_running_stage_counts: 'src/event-store/read-models/',
  operation_stages: 'src/event-store/read-models/',
  operation_sources: 'src/event-store/read-models/',
  stage_minute_stats: 'src/event-store/read-models/',
  stage_hour_stats: 'src/event-store/read-models/',
  event_minute_counts: 'src/event-store/read-models/',
  dead_letters: 'src/ingest/dead-letters/',
  replay_jobs: 'src/replay/jobs/',
};

/** The schema's history names every table; a released migration is never edited. */
export const SCHEMA_HISTORY = 'src/event-store/migrations/';

export interface TableReference {
  file: string;
  line: number;
  table: string;
  /** The literal, shortened, that names it. */
  excerpt: string;
}

const SQL_KEYWORD = /\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|LOCK|TRUNCATE|ANALYZE|FROM|JOIN)\b/;

/**
 * The string and template literals of a file, a template's substitutions
 * replaced by `${…}`, so that SQL built in pieces is read as one statement.
 */
function literals(file: SourceFile): { text: string; line: number }[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true);
  const found: { text: string; line: number }[] = [];
  const visit = (node: ts.Node) => {
    const isModuleName =
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      found.push({ text: node.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    } else if (ts.isTemplateExpression(node)) {
      const text = node.head.text + node.templateSpans.map((span) => '${…}' + span.literal.text).join('');
      found.push({ text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
    }
    if (isModuleName) return;
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * Where a file names an owned table: in a literal that reads as SQL (an
 * upper-case keyword), the table as a whole word; in any literal, a table
 * name on its own (how a name reaches SQL through a constant). `operations`
 * on its own is also an API tag and a word of descriptions, so it counts
 * only inside SQL.
 */
export function tableReferences(file: SourceFile): TableReference[] {
  if (!Object.keys(TABLE_OWNERS).some((table) => file.text.includes(table))) return [];
  const references: TableReference[] = [];
  for (const literal of literals(file)) {
    const isSql = SQL_KEYWORD.test(literal.text);
    for (const table of Object.keys(TABLE_OWNERS)) {
      const named = isSql
        ? new RegExp(`(^|[^A-Za-z0-9_$.])"?${table}"?(?![A-Za-z0-9_$])`).test(literal.text)
        : table.includes('_') && literal.text.trim() === table;
      if (named) {
        const excerpt = literal.text.replace(/\s+/g, ' ').trim().slice(0, 100);
        references.push({ file: file.path, line: literal.line, table, excerpt });
      }
    }
  }
  return references;
}

/** References to a table outside the folder that owns it (and outside the schema's history). */
export function tableOwnershipViolations(files: readonly SourceFile[]): TableReference[] {
  return files
    .filter((file) => !file.path.startsWith(SCHEMA_HISTORY))
    .flatMap(tableReferences)
    .filter((reference) => !reference.file.startsWith(TABLE_OWNERS[reference.table]));
}
