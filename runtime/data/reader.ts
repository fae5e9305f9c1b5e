/**
 * Loads CIFAR-10 from the official binary folder into byte arrays (see cifar10_format.ts for the layout and
 * split.ts for tensors on demand).
 *
 * Where: `loadCifar10({ dir })`, else the environment variable CIFAR10_DIR, else `data/cifar-10-batches-bin`
 * under the project root. Every problem is a DataError that names the file and says what was expected.
 *
 * One consistent read: `get-data --force` may replace the folder while a script loads it, so each file is opened
 * once, checked (a regular file of the right size) on its open descriptor and read from that descriptor, and the
 * folder's identity (device and inode) and each file's are compared before and after: a folder that changed
 * meanwhile is refused, instead of two data sets mixed or a half-written file read as records.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, HOW_TO_GET_DATA } from '../../src/data/errors';
import { describeFsError, leftoverNames } from '../atomic';
import { describeFileType } from '../read_bounded';
import {
  BATCHES_DIR_NAME,
  IMAGE_BYTES,
  META_FILE,
  RECORDS_PER_BATCH,
  TEST_BATCH_FILE,
  TRAIN_BATCH_FILES,
  checkBatchSize,
  checkLabels,
  decodeRecords,
  parseClassNames,
} from './cifar10_format';
import { CifarSplit } from '../../src/data/split';

export interface Cifar10 {
  /** 50,000 images in the official files. */
  train: CifarSplit;
  /** 10,000 images. */
  test: CifarSplit;
  /** Ten names in label order, from batches.meta.txt. */
  classNames: string[];
  /** The folder it was read from (absolute). */
  dir: string;
}

export interface LoadOptions {
  /** Folder holding the .bin files; overrides CIFAR10_DIR and the default. */
  dir?: string;
  /** Where CIFAR10_DIR is looked up (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Records each batch file must hold: 10,000 (official, the default), another count, or 'any' multiple of 3,073. */
  recordsPerBatch?: number | 'any';
  /** Called after each file is read, with its path (tests replace the folder there to check it is noticed). */
  onFileRead?: (file: string) => void | Promise<void>;
}

/** The nearest folder above this file that holds package.json: the project root, from src/ or a built dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`projectRoot: no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** The default data folder, `data/` under the project root (git-ignored). */
export function defaultDataRoot(): string {
  return path.join(projectRoot(), 'data');
}

/** Which folder to read, and why it was chosen (for messages). */
export function resolveCifar10Dir(dir?: string, env: NodeJS.ProcessEnv = process.env): { dir: string; source: string } {
  if (dir !== undefined && dir !== '') return { dir: path.resolve(dir), source: 'the dir option' };
  if (env.CIFAR10_DIR) return { dir: path.resolve(env.CIFAR10_DIR), source: 'CIFAR10_DIR' };
  return { dir: path.join(defaultDataRoot(), BATCHES_DIR_NAME), source: 'the default location' };
}

/**
 * Throws a DataError unless `dir` is a folder holding all seven files, each readable: "not found" and "incomplete"
 * carry the how-to-get-the-data hint (and name the leftovers of a killed `get-data --force` if there are any);
 * a folder or file this process may not read is reported as such.
 */
async function checkFilesPresent(dir: string, source: string): Promise<void> {
  const stat = await fs.promises.stat(dir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw new DataError(`CIFAR-10: cannot read ${dir} (${source}): ${describeFsError(err) ?? (err as Error).message}`);
  });
  if (stat === null || !stat.isDirectory()) {
    const left = leftoverNames(dir);
    const hint = left.length > 0 ? ` Beside it: ${left.join(', ')}, left by an interrupted get-data; running it again restores or removes them.` : '';
    throw new DataError(`CIFAR-10 not found: ${dir} (${source}) is not a folder.${hint} ${HOW_TO_GET_DATA}`);
  }
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (err) {
    throw new DataError(`CIFAR-10: cannot list ${dir} (${source}): ${describeFsError(err) ?? (err as Error).message}`);
  }
  const wanted = [...TRAIN_BATCH_FILES, TEST_BATCH_FILE, META_FILE];
  const missing = wanted.filter((f) => !names.includes(f));
  if (missing.length > 0) {
    throw new DataError(`CIFAR-10 incomplete: ${dir} (${source}) lacks ${missing.join(', ')}. ${HOW_TO_GET_DATA}`);
  }
  for (const f of wanted) {
    const file = path.join(dir, f);
    try {
      await fs.promises.access(file, fs.constants.R_OK);
    } catch (err) {
      throw new DataError(`CIFAR-10: cannot read ${file}: ${describeFsError(err) ?? (err as Error).message}`);
    }
  }
}

/** The largest batches.meta.txt read: ten short names. */
const MAX_META_BYTES = 64 * 1024;

/** A file or folder's identity: replaced by a rename, the same path names another inode. */
function identity(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}`;
}

function changed(dir: string, what: string): DataError {
  return new DataError(
    `CIFAR-10: ${dir} changed while it was being read (${what}), e.g. by \`npm run get-data -- --force\`; ` +
      'nothing was loaded from it. Run again once it is done.',
  );
}

/** An open file of the folder: its path, descriptor, size and identity on that descriptor. */
interface OpenFile {
  file: string;
  handle: fs.promises.FileHandle;
  size: number;
  id: string;
}

/** Opens `file` once (O_NONBLOCK: a FIFO is refused, not waited on) and checks it is a regular file of size allowed by check. */
async function openChecked(file: string, check: (size: number) => void): Promise<OpenFile> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new DataError(`CIFAR-10: cannot read ${file}: ${describeFsError(err) ?? (err as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new DataError(`${file}: is ${describeFileType(stat)}, not a regular file; the folder is not CIFAR-10 as get-data writes it`);
    check(stat.size);
    return { file, handle, size: stat.size, id: identity(stat) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Reads exactly size bytes from an open file; a file that shrank or grew since it was opened is refused. */
async function readWhole(dir: string, f: OpenFile): Promise<Buffer> {
  const buf = Buffer.alloc(f.size);
  let got = 0;
  while (got < f.size) {
    const { bytesRead } = await f.handle.read(buf, got, f.size - got, got);
    if (bytesRead === 0) throw changed(dir, `${path.basename(f.file)} shrank from ${f.size} to ${got} bytes`);
    got += bytesRead;
  }
  if ((await f.handle.read(Buffer.alloc(1), 0, 1, got)).bytesRead !== 0) throw changed(dir, `${path.basename(f.file)} grew beyond ${f.size} bytes`);
  return buf;
}

/** Throws unless dir and each open file are still the ones opened (same identity, same size). */
async function checkUnchanged(dir: string, dirId: string, open: OpenFile[]): Promise<void> {
  const now = await fs.promises.stat(dir).catch(() => null);
  if (now === null || identity(now) !== dirId) throw changed(dir, 'the folder was replaced');
  for (const f of open) {
    const st = await fs.promises.stat(f.file).catch(() => null);
    if (st === null || identity(st) !== f.id || st.size !== f.size) throw changed(dir, `${path.basename(f.file)} was replaced or rewritten`);
  }
}

/**
 * Reads the folder's batch files and batches.meta.txt consistently (see the file comment), handing each batch to
 * consume as it is read (so one batch at a time is held besides what consume keeps). Sizes are checked on every
 * open descriptor before any byte is read. Returns the class names and the records of each batch.
 */
async function readFolder(
  dir: string,
  source: string,
  files: string[],
  recordsPerBatch: number | 'any',
  consume: (file: string, bytes: Buffer, index: number, counts: number[]) => void,
  onFileRead?: LoadOptions['onFileRead'],
): Promise<{ classNames: string[]; counts: number[] }> {
  const dirStat = await fs.promises.stat(dir).catch(() => null);
  await checkFilesPresent(dir, source);
  if (dirStat === null) throw changed(dir, 'the folder appeared while it was being checked');
  const dirId = identity(dirStat);
  const open: OpenFile[] = [];
  try {
    const counts: number[] = [];
    for (const f of files) {
      const file = path.join(dir, f);
      open.push(await openChecked(file, (size) => counts.push(checkBatchSize(file, size, recordsPerBatch))));
    }
    const metaFile = path.join(dir, META_FILE);
    const meta = await openChecked(metaFile, (size) => {
      if (size > MAX_META_BYTES) throw new DataError(`${metaFile}: ${size} bytes, more than the ${MAX_META_BYTES} ten class names need`);
    });
    open.push(meta);
    await checkUnchanged(dir, dirId, open);
    const classNames = parseClassNames(metaFile, (await readWhole(dir, meta)).toString('utf8'));
    for (const [i, f] of open.slice(0, files.length).entries()) {
      consume(f.file, await readWhole(dir, f), i, counts);
      await onFileRead?.(f.file);
    }
    await checkUnchanged(dir, dirId, open);
    return { classNames, counts };
  } finally {
    await Promise.all(open.map((f) => f.handle.close()));
  }
}

/** Where each batch's records go in one split's arrays: the running sum of the record counts before it. */
function firstRecord(counts: number[], index: number): number {
  return counts.slice(0, index).reduce((a, b) => a + b, 0);
}

/**
 * Reads CIFAR-10 from the official binary folder.
 * Returns train (images [50000 * 3072] NHWC bytes, labels [50000]), test (10000) and the class names.
 */
export async function loadCifar10(options: LoadOptions = {}): Promise<Cifar10> {
  const { dir, source } = resolveCifar10Dir(options.dir, options.env);
  const recordsPerBatch = options.recordsPerBatch ?? RECORDS_PER_BATCH;
  const files = [...TRAIN_BATCH_FILES, TEST_BATCH_FILE];
  const splits: { images: Uint8Array; labels: Uint8Array }[] = [];
  const { classNames } = await readFolder(
    dir,
    source,
    files,
    recordsPerBatch,
    (file, bytes, i, counts) => {
      const train = i < TRAIN_BATCH_FILES.length;
      // Both splits' arrays are made once every size is known: before the first batch is decoded.
      if (splits.length === 0) {
        for (const n of [firstRecord(counts, TRAIN_BATCH_FILES.length), counts[counts.length - 1]]) {
          splits.push({ images: new Uint8Array(n * IMAGE_BYTES), labels: new Uint8Array(n) });
        }
      }
      const split = splits[train ? 0 : 1];
      decodeRecords(file, bytes, split.images, split.labels, train ? firstRecord(counts, i) : 0);
    },
    options.onFileRead,
  );
  return { train: new CifarSplit(splits[0].images, splits[0].labels), test: new CifarSplit(splits[1].images, splits[1].labels), classNames, dir };
}

/**
 * Validates a folder without decoding it: all files present, every batch of the expected size, every label in
 * 0..9, ten class names. Throws the same DataErrors as loadCifar10. Used before skipping or after writing data.
 */
export async function checkCifar10Dir(dir: string, recordsPerBatch: number | 'any' = RECORDS_PER_BATCH): Promise<void> {
  await readFolder(path.resolve(dir), 'the folder checked', [...TRAIN_BATCH_FILES, TEST_BATCH_FILE], recordsPerBatch, (file, bytes) => checkLabels(file, bytes));
}
