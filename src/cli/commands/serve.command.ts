import { Command, Option } from 'commander';
import { integerArgument } from '../cli-arguments';

/** `opledger serve`: run the service in this process, exactly as `npm start` does. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the opledger service (configured from the environment, see the README)')
    .addOption(new Option('--port <port>', 'HTTP port (PORT)').argParser(integerArgument('--port', 0, 65535)))
    .option('--host <host>', 'address to listen on (HOST)')
    .option('--rebuild-on-start', 'rebuild the projection first if the fold definition changed')
    .action(async (options: { port?: number; host?: string; rebuildOnStart?: boolean }) => {
      // main.ts reads its settings from the environment (and --rebuild-on-start from argv):
      // the options become the variables, so `serve` and `npm start` cannot drift apart.
      if (options.port !== undefined) process.env.PORT = String(options.port);
      if (options.host !== undefined) process.env.HOST = options.host;
      if (options.rebuildOnStart) process.env.REBUILD_ON_START = 'true';
      // Importing main.ts starts the service; it owns the process from here (signals, exit codes).
      await import('../../main');
    });
}
