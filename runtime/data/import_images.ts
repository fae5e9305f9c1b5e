/**
 * Turns an image-folder archive (`<root>/train/<class>/*.jpg|png`, `<root>/test/<class>/...`) into the official
 * binary layout, so the rest of the project reads one format.
 *
 * Steps: take the images of each split, sort their paths (so the result does not depend on the archive's entry
 * order), decode each with sharp (libjpeg-turbo, the decoder PIL uses too, so pixels match what Python users get),
 * shuffle each split with a seeded Rng (the official batches are in random order and the course slices
 * 49,000 / 1,000 from the front, so class-sorted folders must be mixed), and write 5 training batches plus the
 * test batch and batches.meta.txt into a temporary folder that is renamed into place at the end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/random';
import { BuildOptions, buildDirAtomic } from '../atomic';
import { DataError } from '../../src/data/errors';
import { printable } from '../printable';
import {
  CLASS_NAMES,
  IMAGE_BYTES,
  IMAGE_CHANNELS,
  IMAGE_SIZE,
  META_FILE,
  NUM_CLASSES,
  RECORDS_PER_BATCH,
  TEST_BATCH_FILE,
  TRAIN_BATCH_FILES,
  encodeRecords,
  formatClassNames,
} from './cifar10_format';

export interface ImportImagesOptions {
  /** Seed of the shuffle (default 0): the same archive and seed always give the same bytes. */
  seed?: number;
  /** Records per batch file (default 10,000, the official count); train must hold 5x this, test 1x. */
  recordsPerBatch?: number;
  /** Images decoded at once (default 8): sharp decodes off the main thread, so a few in flight keep it busy. */
  concurrency?: number;
  /** Aborting stops decoding or writing; nothing is left behind. */
  signal?: AbortSignal;
  /** Called after each decoded image: (done, total). */
  onProgress?: (done: number, total: number) => void;
  /** Called after each step of the final rename (see atomic.ts). */
  onStep?: BuildOptions['onStep'];
}

/** One image file of the archive: which split, which label, its encoded bytes. */
export interface ImageEntry {
  name: string;
  label: number;
  data: Buffer;
}

export interface ImportSummary {
  /** Images per class, index = label. */
  trainPerClass: number[];
  testPerClass: number[];
}

const ENTRY = /^(?:(.*)\/)?(train|test)\/([^/]+)\/[^/]+$/;

/**
 * Sorts the archive's images into train and test by path, labels from the class folder name.
 * images: path -> bytes (from scanArchive). Throws a DataError for an unknown class folder or mixed roots.
 */
export function groupImageEntries(file: string, images: Map<string, Buffer>): { train: ImageEntry[]; test: ImageEntry[] } {
  const train: ImageEntry[] = [];
  const test: ImageEntry[] = [];
  let root: string | undefined;
  for (const [name, data] of images) {
    const m = ENTRY.exec(name);
    if (m === null) continue;
    const [, prefix = '', split, cls] = m;
    if (root === undefined) root = prefix;
    else if (root !== prefix) throw new DataError(`archive ${file}: images under two roots, '${printable(root)}/' and '${printable(prefix)}/' (${printable(name)})`);
    const label = CLASS_NAMES.indexOf(cls);
    if (label < 0) {
      throw new DataError(`archive ${file}: ${printable(name)} is in class folder '${printable(cls)}', which is not one of ${CLASS_NAMES.join(', ')}`);
    }
    (split === 'train' ? train : test).push({ name, label, data });
  }
  // Code-unit order, not locale order: the same on every machine.
  const byName = (a: ImageEntry, b: ImageEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { train: train.sort(byName), test: test.sort(byName) };
}

/**
 * Decodes one image to 3,072 bytes, NHWC [32, 32, 3]. Throws a DataError naming the file unless it is 32x32 RGB.
 * The channel count is read from the file's header first: sharp's raw output would silently widen a greyscale
 * image to three equal channels.
 */
export async function decodeCifarImage(name: string, data: Buffer): Promise<Uint8Array> {
  // The name comes from an archive: its control characters must not reach the terminal as they are.
  const shown = printable(name);
  if (data.length === 0) throw new DataError(`${shown}: empty file`);
  const image = sharp(data);
  const cannot = (err: unknown) => new DataError(`${shown}: cannot decode image (${(err as Error).message})`);
  const header = await image.metadata().catch((err) => Promise.reject(cannot(err)));
  const { width, height, channels } = header;
  if (width !== IMAGE_SIZE || height !== IMAGE_SIZE || channels !== IMAGE_CHANNELS) {
    throw new DataError(
      `${shown}: image is ${width}x${height} with ${channels} channels (${header.space}); CIFAR-10 images must be 32x32 RGB (3 channels)`,
    );
  }
  const decoded = await image.raw().toBuffer().catch((err) => Promise.reject(cannot(err)));
  if (decoded.length !== IMAGE_BYTES) throw new DataError(`${shown}: decoded to ${decoded.length} bytes, expected ${IMAGE_BYTES}`);
  return decoded;
}

/**
 * Runs task(0..count-1) with at most `concurrency` in flight. On the first failure no new task starts; it waits
 * for those in flight to settle and then throws that failure, so nothing still runs when the caller cleans up.
 */
async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < count && failure === undefined) {
      if (signal?.aborted) {
        failure = { err: signal.reason };
        return;
      }
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  if (failure !== undefined) throw failure.err;
}

/** Decodes a split into one NHWC byte array [n * 3072] and its labels [n], in the entries' (sorted) order. */
async function decodeSplit(
  entries: ImageEntry[],
  concurrency: number,
  progress: () => void,
  signal?: AbortSignal,
): Promise<{ images: Uint8Array; labels: Uint8Array }> {
  const images = new Uint8Array(entries.length * IMAGE_BYTES);
  const labels = new Uint8Array(entries.length);
  await runPool(
    entries.length,
    concurrency,
    async (i) => {
      images.set(await decodeCifarImage(entries[i].name, entries[i].data), i * IMAGE_BYTES);
      labels[i] = entries[i].label;
      progress();
    },
    signal,
  );
  return { images, labels };
}

/** "; train/ has no folder 'truck'; images per class, train: ..., test: ..." for a count that is off. */
function describeClassCounts(train: ImageEntry[], test: ImageEntry[]): string {
  const parts: string[] = [];
  for (const [split, entries] of [['train', train], ['test', test]] as const) {
    const counts = countPerClass(entries);
    const absent = CLASS_NAMES.filter((_, label) => counts[label] === 0);
    if (absent.length > 0) parts.push(`${split}/ has no class folder ${absent.map((c) => `'${c}'`).join(', ')}`);
  }
  const perClass = (entries: ImageEntry[]) => countPerClass(entries).map((n, label) => `${CLASS_NAMES[label]} ${n}`).join(', ');
  parts.push(`images per class in train/: ${perClass(train)}; in test/: ${perClass(test)}`);
  return `; ${parts.join('; ')}`;
}

function countPerClass(entries: ImageEntry[]): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const e of entries) counts[e.label]++;
  return counts;
}

/**
 * Writes the official layout into destDir (all or nothing) from an image-folder archive already scanned.
 * file: the archive's path (for messages). images: path -> bytes of every image in it.
 */
export async function importImageArchive(
  file: string,
  images: Map<string, Buffer>,
  destDir: string,
  options: ImportImagesOptions = {},
): Promise<ImportSummary> {
  const { seed = 0, recordsPerBatch = RECORDS_PER_BATCH, concurrency = 8, signal, onProgress, onStep } = options;
  const { train, test } = groupImageEntries(file, images);
  const wantTrain = TRAIN_BATCH_FILES.length * recordsPerBatch;
  if (train.length !== wantTrain || test.length !== recordsPerBatch) {
    throw new DataError(
      `archive ${file}: has ${train.length} train and ${test.length} test images; the official layout needs ` +
        `${TRAIN_BATCH_FILES.length} x ${recordsPerBatch} = ${wantTrain} train and ${recordsPerBatch} test images` +
        describeClassCounts(train, test),
    );
  }

  const total = train.length + test.length;
  let done = 0;
  const progress = () => onProgress?.(++done, total);
  const trainData = await decodeSplit(train, concurrency, progress, signal);
  const testData = await decodeSplit(test, concurrency, progress, signal);

  const rng = new Rng(seed);
  const trainOrder = rng.permutation(train.length);
  const testOrder = rng.permutation(test.length);
  await buildDirAtomic(destDir, async (tmp) => {
    for (let b = 0; b < TRAIN_BATCH_FILES.length; b++) {
      signal?.throwIfAborted();
      const order = trainOrder.subarray(b * recordsPerBatch, (b + 1) * recordsPerBatch);
      await fs.promises.writeFile(path.join(tmp, TRAIN_BATCH_FILES[b]), encodeRecords(trainData.images, trainData.labels, order));
    }
    signal?.throwIfAborted();
    await fs.promises.writeFile(path.join(tmp, TEST_BATCH_FILE), encodeRecords(testData.images, testData.labels, testOrder));
    await fs.promises.writeFile(path.join(tmp, META_FILE), formatClassNames(CLASS_NAMES));
  }, { onStep });
  return { trainPerClass: countPerClass(train), testPerClass: countPerClass(test) };
}
