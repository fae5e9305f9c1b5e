/**
 * The notebooks' Jupyter kernel: tslab's TypeScript kernel (a Node.js process), started the way the project's
 * scripts start, so that the notebooks run the project's own modules unchanged (docs/notebooks.md says why this
 * kernel and not Deno's).
 *
 * Started by Jupyter as `node --import tsx notebooks/kernel.ts <connection file>` (the kernelspec that
 * `npm run notebooks -- install` writes). Before tslab takes the connection it
 * - works from the project root, whatever folder Jupyter started it in, so that a cell's
 *   `require('./notebooks/lib/nb.ts')` and the data folder resolve as they do for `npm run` scripts;
 * - registers the learner's workspace (learn/impl.ts, as `--impl exercises` does) when one exists, so that every
 *   import of a src/ file that the workspace holds loads the learner's copy; a notebook's setup cell can switch
 *   back to the library (notebooks/lib/nb.ts);
 * - prints an error that a notebook raises on purpose (a missing data folder, a stub) as its one line, not as a
 *   stack trace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT, useWorkspace, workspaceDir } from '../learn/impl';
import { isOneLineError } from './lib/one_line';

interface TslabExecutor {
  interrupt(): void;
}

function main(): void {
  const configPath = process.argv[2];
  if (!configPath || !fs.existsSync(configPath)) {
    console.error(`notebooks/kernel.ts: expected the kernel's connection file as its argument, got '${configPath ?? ''}'`);
    process.exit(2);
  }
  process.chdir(PROJECT_ROOT);
  const dir = workspaceDir();
  if (fs.existsSync(dir)) useWorkspace(dir);

  const { createConverter } = require('tslab/dist/converter') as { createConverter(o: { isJS: boolean; isBrowser: boolean }): { close(): void } };
  const { createExecutor } = require('tslab/dist/executor') as {
    createExecutor(root: string, convs: unknown, console: { log: (...a: unknown[]) => void; error: (...a: unknown[]) => void }): TslabExecutor;
  };
  const { ZmqServer, JupyterHandlerImpl } = require('tslab/dist/jupyter') as {
    ZmqServer: new (handler: unknown, configPath: string) => { init(): void };
    JupyterHandlerImpl: new (executor: TslabExecutor, jsKernel: boolean) => unknown;
  };
  const node = createConverter({ isJS: false, isBrowser: false });
  const convs = { node, browser: node, close: () => node.close() };
  const error = (...args: unknown[]): void => {
    if (args.length === 1 && isOneLineError(args[0])) console.error(args[0].message);
    else console.error(...args);
  };
  const executor = createExecutor(PROJECT_ROOT, convs, { log: console.log, error });
  const server = new ZmqServer(new JupyterHandlerImpl(executor, false), path.resolve(configPath));
  process.on('SIGINT', () => executor.interrupt());
  process.on('uncaughtException', (err) => error(err));
  process.on('unhandledRejection', (reason) => error(reason));
  server.init();
}

main();
