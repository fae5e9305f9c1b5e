/**
 * Loads CIFAR-10 from the official binary folder into byte arrays (see cifar10_format.ts for the layout and
 * split.ts for tensors on demand).
 *
 * Where: `loadCifar10({ dir })`, else the environment variable CIFAR10_DIR, else `data/cifar-10-batches-bin`
 * under the project root. Every problem is a DataError that names the file and says what was expected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, HOW_TO_GET_DATA } from '../../src/data/errors';
import { describeFsError, leftoverNames } from '../atomic';
import {
  BATCHES_DIR_NAME,
  IMAGE_BYTES,
  META_FILE,
  RECORD_BYTES,
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

/** Checks every batch file's size before any is read, so a bad one fails fast. Returns record counts. */
async function checkSizes(dir: string, files: string[], recordsPerBatch: number | 'any'): Promise<number[]> {
  const counts: number[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    const { size } = await fs.promises.stat(file);
    counts.push(checkBatchSize(file, size, recordsPerBatch));
  }
  return counts;
}

/** Reads a list of batch files into one split. */
async function readSplit(dir: string, files: string[], counts: number[]): Promise<CifarSplit> {
  const total = counts.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(total * IMAGE_BYTES);
  const labels = new Uint8Array(total);
  let first = 0;
  for (const f of files) {
    const file = path.join(dir, f);
    const bytes = await fs.promises.readFile(file);
    if (bytes.length % RECORD_BYTES !== 0) throw new DataError(`${file}: changed size while being read (${bytes.length} bytes)`);
    first += decodeRecords(file, bytes, images, labels, first);
  }
  return new CifarSplit(images, labels);
}

/**
 * Reads CIFAR-10 from the official binary folder.
 * Returns train (images [50000 * 3072] NHWC bytes, labels [50000]), test (10000) and the class names.
 */
export async function loadCifar10(options: LoadOptions = {}): Promise<Cifar10> {
  const { dir, source } = resolveCifar10Dir(options.dir, options.env);
  const recordsPerBatch = options.recordsPerBatch ?? RECORDS_PER_BATCH;
  await checkFilesPresent(dir, source);
  const trainCounts = await checkSizes(dir, TRAIN_BATCH_FILES, recordsPerBatch);
  const testCounts = await checkSizes(dir, [TEST_BATCH_FILE], recordsPerBatch);
  const metaFile = path.join(dir, META_FILE);
  const classNames = parseClassNames(metaFile, await fs.promises.readFile(metaFile, 'utf8'));
  const train = await readSplit(dir, TRAIN_BATCH_FILES, trainCounts);
  const test = await readSplit(dir, [TEST_BATCH_FILE], testCounts);
  return { train, test, classNames, dir };
}

/**
 * Validates a folder without decoding it: all files present, every batch of the expected size, every label in
 * 0..9, ten class names. Throws the same DataErrors as loadCifar10. Used before skipping or after writing data.
 */
export async function checkCifar10Dir(dir: string, recordsPerBatch: number | 'any' = RECORDS_PER_BATCH): Promise<void> {
  const abs = path.resolve(dir);
  await checkFilesPresent(abs, 'the folder checked');
  const files = [...TRAIN_BATCH_FILES, TEST_BATCH_FILE];
  await checkSizes(abs, files, recordsPerBatch);
  for (const f of files) {
    const file = path.join(abs, f);
    checkLabels(file, await fs.promises.readFile(file));
  }
  const metaFile = path.join(abs, META_FILE);
  parseClassNames(metaFile, await fs.promises.readFile(metaFile, 'utf8'));
}
