import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PROJECTION_DEFINITION_VERSION } from '../../projection/operation-fold';
import { selectRows, SqlRunner } from '../sql';

export const OPERATIONS_PROJECTION = 'operations';

export interface ProjectionDefinitionStatus {
  name: string;
  /** The fold definition the stored projection was built with (null: unknown). */
  builtWithDefinition: number | null;
  /** The fold definition of the running code. */
  codeDefinition: number;
  rebuiltAt: Date | null;
  /** True when the log holds events and the stored projection was built by another definition. */
  rebuildNeeded: boolean;
}

/** The projection_definitions table: which version of the fold built the live projection. */
@Injectable()
export class ProjectionDefinitions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async status(): Promise<ProjectionDefinitionStatus> {
    const [row] = await selectRows<{ definition_version: number | null; rebuilt_at: Date | null; has_events: boolean }>(
      this.dataSource,
      `SELECT d.definition_version, d.rebuilt_at, EXISTS (SELECT 1 FROM operation_events) AS has_events
       FROM (SELECT 1) AS one LEFT JOIN projection_definitions d ON d.name = $1`,
      [OPERATIONS_PROJECTION],
    );
    const builtWith = row.definition_version;
    if (builtWith !== PROJECTION_DEFINITION_VERSION && !row.has_events) {
      // An empty projection is what every definition builds from an empty log.
      await this.recordBuilt(this.dataSource, PROJECTION_DEFINITION_VERSION, false);
      return this.status();
    }
    return {
      name: OPERATIONS_PROJECTION,
      builtWithDefinition: builtWith,
      codeDefinition: PROJECTION_DEFINITION_VERSION,
      rebuiltAt: row.rebuilt_at,
      rebuildNeeded: builtWith !== PROJECTION_DEFINITION_VERSION,
    };
  }

  /** Records the definition that built the live projection; `rebuilt` stamps rebuilt_at (the swap). */
  async recordBuilt(db: SqlRunner, definitionVersion: number, rebuilt = true): Promise<void> {
    await db.query(
      `INSERT INTO projection_definitions (name, definition_version, rebuilt_at)
       VALUES ($1, $2, CASE WHEN $3::boolean THEN now() END)
       ON CONFLICT (name) DO UPDATE SET definition_version = EXCLUDED.definition_version,
         rebuilt_at = COALESCE(EXCLUDED.rebuilt_at, projection_definitions.rebuilt_at)`,
      [OPERATIONS_PROJECTION, definitionVersion, rebuilt],
    );
  }
}
