/**
 * npm run web [-- --port 8231 --host 127.0.0.1 --data DIR --impl library|exercises]
 *
 * With --impl exercises the page trains the learner's own code: every library file src/<file> whose twin
 * <workspace>/<file> exists (CS231N_EXERCISES_DIR, default exercises/) is bundled from the workspace, and the page
 * names those files.
 *
 * Serves the playground page (web/) and the CIFAR-10 batches it trains on: open the printed address in a browser.
 * The data folder is --data, else CIFAR10_DIR, else data/cifar-10-batches-bin (where `npm run get-data` puts it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { resolveCifar10Dir } from '../runtime/data/reader';
import { HOW_TO_GET_DATA } from '../src/data/errors';
import { TRAIN_BATCH_FILES } from '../runtime/data/cifar10_format';
import { parseIntegerIn } from './lib/cli';
import { startServer } from '../web/server';

/** Whether a --host value listens on this machine only. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** This machine's addresses on its networks (not loopback), as a browser elsewhere would type them. */
function networkAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !a.address.startsWith('fe80'))
    .map((a) => (a.family === 'IPv6' ? `[${a.address}]` : a.address));
}

async function main(): Promise<void> {
  const program = new Command('web')
    .description('serve the browser playground: train the course models live on WebGL')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parseIntegerIn('--port', 0, 65535), 8231)
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 serves every network, with a warning)', '127.0.0.1')
    .option('--data <dir>', 'folder with the CIFAR-10 batch files (default: CIFAR10_DIR, else data/cifar-10-batches-bin)')
    .option('--impl <which>', "'library' (default) or 'exercises': train the learner's workspace in place of the library's files", 'library');
  program.parse();
  const opts = program.opts<{ port: number; host: string; data?: string; impl: string }>();
  if (opts.impl !== 'library' && opts.impl !== 'exercises') throw new Error(`--impl: expected 'library' or 'exercises', got '${opts.impl}'`);

  const { dir, source } = resolveCifar10Dir(opts.data);
  const trainFile = path.join(dir, TRAIN_BATCH_FILES[0]);
  if (!fs.existsSync(trainFile)) {
    console.error(`warning: ${trainFile} (${source}) does not exist; the page will say so. ${HOW_TO_GET_DATA}`);
  }
  const server = await startServer({ dataDir: dir, port: opts.port, host: opts.host, build: { impl: opts.impl } });
  if (!isLoopback(opts.host)) {
    const port = new URL(server.url).port;
    const others = networkAddresses().map((a) => `http://${a}:${port}/`);
    console.error(
      `warning: --host ${opts.host} serves the page and your data folder to every machine that can reach this one, with no password; ` +
        `from another machine open ${others.length > 0 ? others.join(' or ') : `this machine's address, port ${port}`}`,
    );
  }
  const b = server.bundle;
  console.error(`page built in ${b.ms.toFixed(0)} ms (page ${(b.main.js.length / 2 ** 20).toFixed(1)} MiB, worker ${(b.worker.js.length / 2 ** 20).toFixed(1)} MiB)`);
  if (b.learner) console.error(`your code (${b.learner.dir}): ${b.learner.files.length > 0 ? b.learner.files.join(', ') : 'none of the library files the page uses'}`);
  console.error(`data: ${dir} (${source})`);
  console.log(`playground: ${server.url}  (Ctrl-C stops it)`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`npm run web: ${(e as Error).message}`);
  process.exit(1);
});
