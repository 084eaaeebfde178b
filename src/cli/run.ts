/**
 * The command's dispatcher: parses the arguments, prints help, the version or a usage error, and
 * runs `serve` or `dev`. The serving code is imported only when a server is started, so `--help`
 * and usage errors answer at once.
 */
import { parseArgs } from './args.js';
import { COMMAND_NAME, HELP, packageVersion, SYNOPSIS } from './usage.js';

/** Where the command writes: `out` for what was asked for (help, version), `err` for the rest. */
export interface CliOutput {
  readonly out: (text: string) => void;
  readonly err: (line: string) => void;
}

/**
 * Runs the command line `argv` (without `node` and the script); resolves with the exit status once
 * the command is done (for `serve` and `dev`, after SIGINT or SIGTERM and the drain).
 */
export async function runCli(argv: readonly string[], output: CliOutput): Promise<number> {
  const request = parseArgs(argv);
  switch (request.kind) {
    case 'help':
      output.out(HELP);
      return 0;
    case 'version':
      output.out(packageVersion());
      return 0;
    case 'usage-error':
      output.err(`${COMMAND_NAME}: ${request.message}`);
      output.err(SYNOPSIS);
      output.err(`Run '${COMMAND_NAME} --help' for the options.`);
      return 2;
    case 'run': {
      const log = (line: string): void => output.err(`${COMMAND_NAME}: ${line}`);
      if (request.command === 'dev') {
        const { dev } = await import('./dev.js');
        return dev(request, log);
      }
      const { serve } = await import('./serve.js');
      return serve(request, log);
    }
  }
}
