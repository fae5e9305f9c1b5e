/**
 * npm run get-data [-- --from ARCHIVE] [--out DIR] [--seed N] [--force]
 *
 * Puts CIFAR-10 in the official binary layout at DIR/cifar-10-batches-bin (default DIR: data/ in the project).
 * Without --from it downloads the official archive (https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz,
 * md5-checked). With --from it imports a local archive: the official one, or an image-folder archive
 * (<root>/train/<class>/*.jpg|png, <root>/test/<class>/...), decoded, shuffled with --seed and written as batches.
 * Ctrl-C stops it and leaves nothing half-written.
 */
import { Command } from 'commander';
import * as cliProgress from 'cli-progress';
import { DataError } from '../src/data/errors';
import { describeFsError, removeLiveTempsSync } from '../runtime/atomic';
import { printable } from '../runtime/printable';
import { getCifar10, type Phase } from '../runtime/data/get_data';
import { parsePositiveInt, parseSeed } from './lib/cli';

/**
 * One line for the user: a DataError's message, a file-system error in words, else the error's message (no
 * stack). Control characters are escaped: names in it may come from an archive.
 */
function errorLine(err: unknown): string {
  if (err instanceof DataError) return printable(err.message);
  const words = describeFsError(err);
  const message = printable(err instanceof Error ? err.message : String(err));
  return words === null ? `unexpected error: ${message}` : `${words} (${message})`;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('get-data')
    .description('Download or import CIFAR-10 into the official binary layout.')
    .option('--from <archive>', 'import this local .tar.gz (official or image-folder) instead of downloading')
    .option('--out <dir>', 'folder that receives cifar-10-batches-bin/ (default: data/ in the project)')
    .option('--seed <n>', 'shuffle seed for image-folder archives, 0 to 4294967295', parseSeed('--seed'), 0)
    .option('--concurrency <n>', 'images decoded at once', parsePositiveInt('--concurrency'), 8)
    .option('--force', 'rebuild even if valid data is already there', false)
    .showHelpAfterError('(run with --help for usage)')
    .parse();
  const opts = program.opts<{ from?: string; out?: string; seed: number; concurrency: number; force: boolean }>();

  const controller = new AbortController();
  process.on('SIGINT', () => {
    if (controller.signal.aborted) {
      removeLiveTempsSync();
      process.exit(130);
    }
    console.error('\ninterrupted: removing partial files (Ctrl-C again to quit at once)');
    controller.abort();
  });

  let bar: cliProgress.SingleBar | undefined;
  let barPhase: Phase | undefined;
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
    barPhase = undefined;
  };
  const onProgress = (phase: Phase, done: number, total: number | undefined) => {
    if (phase !== barPhase) {
      stopBar();
      const unit = phase === 'download' ? 'MB' : 'images';
      bar = new cliProgress.SingleBar(
        { format: `${phase} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration}s`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(phase === 'download' ? Math.round((total ?? 0) / 1e6) : (total ?? 0), 0);
      barPhase = phase;
    }
    bar?.update(phase === 'download' ? Math.round(done / 1e6) : done);
  };

  const start = Date.now();
  try {
    const result = await getCifar10({
      from: opts.from,
      out: opts.out,
      seed: opts.seed,
      concurrency: opts.concurrency,
      force: opts.force,
      signal: controller.signal,
      onProgress,
      log: (line) => {
        stopBar();
        console.error(line);
      },
    });
    stopBar();
    if (result.action !== 'already-present') {
      console.error(`wrote ${result.dir} in ${((Date.now() - start) / 1000).toFixed(1)} s`);
      if (result.trainPerClass) console.error(`train images per class: ${result.trainPerClass.join(', ')}`);
      if (result.testPerClass) console.error(`test images per class: ${result.testPerClass.join(', ')}`);
    }
    if (process.env.CIFAR10_DIR) console.error(`note: CIFAR10_DIR is set (${process.env.CIFAR10_DIR}); the loader reads that folder`);
  } catch (err) {
    stopBar();
    if (controller.signal.aborted) {
      console.error('interrupted; nothing was left half-written');
      process.exit(130);
    }
    console.error(`get-data: ${errorLine(err)}`);
    process.exit(1);
  }
}

void main();
