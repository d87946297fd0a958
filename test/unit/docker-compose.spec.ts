import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/app-config';

// Docker cannot run on the CI machine, so the compose wiring is checked by reading it.
const root = join(__dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      environment?: Record<string, string | number>;
      ports?: string[];
      build?: string;
      depends_on?: Record<string, unknown>;
    }
  >;
};
// Compose substitutes ${VAR:-default} from the shell; with nothing set, the default applies.
const interpolate = (value: string) => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const env = (service: string) =>
  Object.fromEntries(
    Object.entries(compose.services[service].environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]),
  );

describe('docker-compose.yml', () => {
  it('has Postgres, a Kafka broker and opledger built from the repository', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'opledger', 'postgres']);
    expect(compose.services.opledger.build).toBe('.');
    expect(Object.keys(compose.services.opledger.depends_on ?? {}).sort()).toEqual(['kafka', 'postgres']);
  });

  it('gives opledger only variables it reads, and a configuration it accepts', () => {
    const variables = env('opledger');
    for (const name of Object.keys(variables)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig(variables);
    expect(config.host).toBe('0.0.0.0');
    expect(compose.services.opledger.ports).toContain(`${config.port}:${config.port}`);
  });

  it('points DATABASE_URL at the postgres service with its credentials', () => {
    const url = new URL(env('opledger').DATABASE_URL);
    const postgres = env('postgres');
    expect(url.hostname).toBe('postgres');
    expect(url.port).toBe('5432');
    expect(decodeURIComponent(url.username)).toBe(postgres.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(postgres.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgres.POSTGRES_DB}`);
  });

  it('points KAFKA_BROKERS at the listener the kafka service advertises inside the network', () => {
    const kafka = env('kafka');
    const advertised = kafka.KAFKA_ADVERTISED_LISTENERS.split(',').map((l) => l.replace(/^[A-Z]+:\/\//, ''));
    expect(advertised).toContain(env('opledger').KAFKA_BROKERS);
    expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    const voterPort = kafka.KAFKA_CONTROLLER_QUORUM_VOTERS.split(':').pop();
    expect(kafka.KAFKA_LISTENERS).toContain(`CONTROLLER://:${voterPort}`);
  });

  it('builds an image that exposes the port compose publishes', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${env('opledger').PORT}$`, 'm'));
    // Node flags before the entry point are checked against the benchmark's in service-launch.spec.ts.
    expect(dockerfile).toMatch(/^CMD \["node", (?:"--[^"]+", )*"dist\/main.js"\]$/m);
  });
});
