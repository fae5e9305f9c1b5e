/**
 * What `npm run get-data` does: make sure `<out>/cifar-10-batches-bin/` holds valid CIFAR-10, from the official
 * download or from a local archive (`--from`), official or image-folder. Existing valid data is left alone unless
 * `force` is set; an existing folder that is not valid CIFAR-10 is replaced only with `force` (or when empty), since
 * it may hold the user's files, and the refusal comes before anything is touched. Every write is all or nothing (atomic.ts). One import runs at a time per folder: a lock file
 * beside the data names the process holding it (lock.ts); leftovers of a killed import are cleaned up (or the
 * data a killed `--force` had set aside is put back) and reported before anything else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../../src/data/errors';
import { BuildOptions, asDataError, ensureDirSync, recoverLeftovers } from '../atomic';
import { acquireLock } from '../lock';
import { printable } from '../printable';
import { describeFileType } from '../read_bounded';
import { BATCHES_DIR_NAME, RECORDS_PER_BATCH } from './cifar10_format';
import { checkCifar10Dir, defaultDataRoot } from './reader';
import { downloadFile, md5File } from './download';
import { detectLayout, extractOfficial, scanArchive } from './archive';
import { importImageArchive } from './import_images';

export const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const OFFICIAL_ARCHIVE_NAME = 'cifar-10-binary.tar.gz';

/** Phases reported to onProgress: bytes for 'download', images for 'decode'. */
export type Phase = 'download' | 'decode';

export interface GetDataOptions {
  /** Folder that receives cifar-10-batches-bin/ (default: data/ under the project root). */
  out?: string;
  /** Local archive to import instead of downloading. */
  from?: string;
  /** Shuffle seed for image-folder archives (default 0). */
  seed?: number;
  /** Rebuild even if valid data is already there. */
  force?: boolean;
  /** Records per batch file (default 10,000); tests use a few. */
  recordsPerBatch?: number;
  /** Images decoded at once (default 8). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (phase: Phase, done: number, total: number | undefined) => void;
  /** Progress messages, one line each. */
  log?: (line: string) => void;
  /** Download source and checksum (tests point them at a local server). */
  url?: string;
  md5?: string;
  /** Called after each step of the final rename (tests kill the process at one; see atomic.ts). */
  onStep?: BuildOptions['onStep'];
}

export interface GetDataResult {
  /** The cifar-10-batches-bin folder (absolute). */
  dir: string;
  action: 'already-present' | 'extracted-official' | 'imported-images';
  /** For image-folder imports: images per class, index = label. */
  trainPerClass?: number[];
  testPerClass?: number[];
}

/** Imports a local archive of either layout into dir. */
async function importArchive(file: string, dir: string, options: GetDataOptions): Promise<GetDataResult> {
  const { recordsPerBatch = RECORDS_PER_BATCH, signal, log = () => {} } = options;
  log(`reading ${file}`);
  const scan = await scanArchive(file, signal);
  const layout = detectLayout(file, scan);
  if (layout.kind === 'official') {
    log(`official binary archive (${layout.root}/); extracting`);
    scan.images.clear();
    await extractOfficial(file, layout.root, dir, recordsPerBatch, signal, options.onStep);
    return { dir, action: 'extracted-official' };
  }
  log(`image-folder archive with ${scan.images.size} images; decoding, shuffling with seed ${options.seed ?? 0}, writing batches`);
  const summary = await importImageArchive(file, scan.images, dir, {
    seed: options.seed,
    recordsPerBatch,
    concurrency: options.concurrency,
    signal,
    onProgress: (done, total) => options.onProgress?.('decode', done, total),
    onStep: options.onStep,
  });
  return { dir, action: 'imported-images', ...summary };
}

/** Ensures valid CIFAR-10 at `<out>/cifar-10-batches-bin`; see GetDataOptions. */
export async function getCifar10(options: GetDataOptions = {}): Promise<GetDataResult> {
  const { log = () => {} } = options;
  if (options.from !== undefined) checkFrom(options.from);
  const out = ensureDirSync(options.out ?? defaultDataRoot(), '--out');
  const dir = path.join(out, BATCHES_DIR_NAME);
  const lock = acquireLock(path.join(out, `.${BATCHES_DIR_NAME}.lock`), `an import into ${out}`, { doing: 'npm run get-data' });
  try {
    if (lock.replacedStale) log(`replaced a stale lock of process ${lock.replacedStale.pid} (since ${lock.replacedStale.since}), which is no longer running`);
    for (const line of recoverLeftovers(dir)) log(line);
    return await getLocked(out, dir, options);
  } catch (err) {
    throw asDataError(err, `writing ${dir}`);
  } finally {
    lock.release();
  }
}

/** Refuses a --from that is missing or a folder, before anything else happens. */
function checkFrom(from: string): void {
  const abs = path.resolve(from);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      const link = fs.lstatSync(abs, { throwIfNoEntry: false });
      if (link?.isSymbolicLink()) throw new DataError(`--from ${from}: a symbolic link to ${printable(fs.readlinkSync(abs))}, which does not exist`);
      throw new DataError(`--from ${from}: no such file (${abs})`);
    }
    throw asDataError(err, `--from ${from} (${abs})`);
  }
  if (stat.isDirectory()) {
    throw new DataError(
      `--from ${from} is a folder; --from takes an archive file (.tar or .tar.gz). To import a folder of images, ` +
        `archive it first: tar czf images.tar.gz -C ${from} .`,
    );
  }
  // A device never ends (/dev/zero) and a FIFO waits for a writer: neither is an archive to read.
  if (!stat.isFile()) throw new DataError(`--from ${from} is ${describeFileType(stat)}, not an archive file (.tar or .tar.gz); refusing to read it`);
}

/**
 * Refuses, before anything is touched, to replace a folder at dir that does not hold valid CIFAR-10 unless force:
 * it may hold the user's own files. An empty folder holds nothing to lose. why: what the validation said.
 */
function refuseToReplace(dir: string, why: string): void {
  if (!fs.statSync(dir).isDirectory()) throw new DataError(`${dir} exists and is not a folder; nothing was changed. Move it away, or pass --force to replace it`);
  const entries = fs.readdirSync(dir);
  if (entries.length === 0) return;
  const shown = entries
    .slice(0, 5)
    .map((e) => printable(e))
    .join(', ');
  throw new DataError(
    `${dir} exists but is not valid CIFAR-10 (${why}) and holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (${shown}${entries.length > 5 ? ', ...' : ''}), ` +
      'which may be yours; nothing was changed. Move them away, or pass --force to delete the folder and rebuild it',
  );
}

async function getLocked(out: string, dir: string, options: GetDataOptions): Promise<GetDataResult> {
  const { recordsPerBatch = RECORDS_PER_BATCH, log = () => {} } = options;
  if (!options.force && fs.existsSync(dir)) {
    try {
      await checkCifar10Dir(dir, recordsPerBatch);
      log(`${dir} already holds valid CIFAR-10; nothing to do (--force rebuilds it)`);
      return { dir, action: 'already-present' };
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      // The validation's own advice (how to get the data) is what this run is doing; its finding is enough.
      refuseToReplace(dir, err.message.split('. Get it with')[0]);
      log(`${dir} exists but is empty; building the data in it`);
    }
  }

  if (options.from !== undefined) return importArchive(path.resolve(options.from), dir, options);

  const url = options.url ?? OFFICIAL_URL;
  const md5 = options.md5 ?? OFFICIAL_MD5;
  const archive = path.join(out, OFFICIAL_ARCHIVE_NAME);
  // A complete archive left by an earlier run whose extraction failed need not be fetched again.
  if (!(fs.existsSync(archive) && (await md5File(archive)) === md5)) {
    log(`downloading ${url}`);
    await downloadFile({
      url,
      dest: archive,
      md5,
      signal: options.signal,
      onProgress: (received, total) => options.onProgress?.('download', received, total),
    });
    log(`md5 ${md5} verified`);
  }
  const result = await importArchive(archive, dir, options);
  await fs.promises.rm(archive, { force: true });
  return result;
}
