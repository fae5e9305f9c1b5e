/**
 * The official CIFAR-10 binary layout ("CIFAR-10 binary version (suitable for C programs)"), in both directions.
 *
 * A folder `cifar-10-batches-bin/` holds data_batch_1.bin .. data_batch_5.bin (training, 10,000 records each),
 * test_batch.bin (10,000 records) and batches.meta.txt (the ten class names, one per line, in label order).
 * Each record is 3,073 bytes: 1 label byte (0..9), then the image as three 32x32 planes, row-major:
 * 1,024 red bytes, 1,024 green bytes, 1,024 blue bytes. A batch is 10,000 x 3,073 = 30,730,000 bytes.
 *
 * In memory we keep images as one Uint8Array in NHWC order [N, 32, 32, 3] (tfjs's layout; the course's numpy
 * loader reshapes to NCHW and transposes to NHWC too), so the planes are interleaved once, at load time.
 */
import { DataError } from '../../src/data/errors';

import { CLASS_NAMES, IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_SIZE, NUM_CLASSES } from '../../src/data/cifar10';

export { CLASS_NAMES, IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_SIZE, NUM_CLASSES };
/** Pixels in one colour plane: 32 * 32. */
export const PLANE_BYTES = IMAGE_SIZE * IMAGE_SIZE;
/** One label byte followed by the image. */
export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const RECORDS_PER_BATCH = 10000;

export const BATCHES_DIR_NAME = 'cifar-10-batches-bin';
export const TRAIN_BATCH_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const TEST_BATCH_FILE = 'test_batch.bin';
export const META_FILE = 'batches.meta.txt';


/** 30730000 -> '30,730,000', for messages. */
export function formatBytes(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Throws a DataError naming the file unless `size` bytes can be a batch of `recordsPerBatch` records
 * (default 10,000, the official count). recordsPerBatch 'any' accepts any positive multiple of 3,073.
 */
export function checkBatchSize(file: string, size: number, recordsPerBatch: number | 'any' = RECORDS_PER_BATCH): number {
  const what = 'records of 3,073 bytes: 1 label byte + 3,072 pixel bytes';
  if (recordsPerBatch === 'any') {
    if (size === 0 || size % RECORD_BYTES !== 0) {
      throw new DataError(
        `${file}: size is ${formatBytes(size)} bytes, expected a positive multiple of ${formatBytes(RECORD_BYTES)} (${what}); ` +
          'the file is truncated or not a CIFAR-10 binary batch',
      );
    }
    return size / RECORD_BYTES;
  }
  const expected = recordsPerBatch * RECORD_BYTES;
  if (size !== expected) {
    throw new DataError(
      `${file}: size is ${formatBytes(size)} bytes, expected ${formatBytes(expected)} (${formatBytes(recordsPerBatch)} ${what}); ` +
        'the file is truncated or not a CIFAR-10 binary batch',
    );
  }
  return recordsPerBatch;
}

/**
 * Throws a DataError naming the file and the record index of the first label outside 0..9.
 * bytes: a whole batch, [R * 3073].
 */
export function checkLabels(file: string, bytes: Uint8Array): void {
  const n = Math.floor(bytes.length / RECORD_BYTES);
  for (let r = 0; r < n; r++) {
    const label = bytes[r * RECORD_BYTES];
    if (label >= NUM_CLASSES) {
      throw new DataError(`${file}: record ${r} (byte offset ${formatBytes(r * RECORD_BYTES)}) has label ${label}; labels must be 0..9`);
    }
  }
}

/**
 * Decodes a batch into NHWC images and labels, written into the caller's arrays from record `first` on, so that
 * all batches of a split fill one array with no intermediate copies.
 *
 * bytes: [R * 3073] official records (size already checked). images: [>= (first + R) * 3072], NHWC.
 * labels: [>= first + R]. Throws (via checkLabels) before writing anything if a label is out of range.
 */
export function decodeRecords(file: string, bytes: Uint8Array, images: Uint8Array, labels: Uint8Array, first: number): number {
  checkLabels(file, bytes);
  const n = bytes.length / RECORD_BYTES;
  for (let r = 0; r < n; r++) {
    const src = r * RECORD_BYTES;
    labels[first + r] = bytes[src];
    const red = src + 1;
    const green = red + PLANE_BYTES;
    const blue = green + PLANE_BYTES;
    let dst = (first + r) * IMAGE_BYTES;
    for (let p = 0; p < PLANE_BYTES; p++) {
      images[dst++] = bytes[red + p];
      images[dst++] = bytes[green + p];
      images[dst++] = bytes[blue + p];
    }
  }
  return n;
}

/**
 * Encodes images into official records, in the order given: record k holds image order[k].
 *
 * images: [N * 3072] NHWC. labels: [N], each 0..9. order: indices into 0..N-1.
 * Returns [order.length * 3073] bytes, ready to write as (part of) a batch file.
 */
export function encodeRecords(images: Uint8Array, labels: Uint8Array, order: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(order.length * RECORD_BYTES);
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const dst = k * RECORD_BYTES;
    out[dst] = labels[i];
    const red = dst + 1;
    const green = red + PLANE_BYTES;
    const blue = green + PLANE_BYTES;
    let src = i * IMAGE_BYTES;
    for (let p = 0; p < PLANE_BYTES; p++) {
      out[red + p] = images[src++];
      out[green + p] = images[src++];
      out[blue + p] = images[src++];
    }
  }
  return out;
}

/** Parses batches.meta.txt: the ten class names, one per line (the official file ends with blank lines). */
export function parseClassNames(file: string, text: string): string[] {
  const names = text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== NUM_CLASSES) {
    throw new DataError(`${file}: expected ${NUM_CLASSES} class names, one per line, got ${names.length}`);
  }
  return names;
}

/** The text of batches.meta.txt for the given names. */
export function formatClassNames(names: readonly string[]): string {
  return names.join('\n') + '\n';
}
