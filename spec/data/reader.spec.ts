/**
 * The official binary reader: synthetic batches written in the official format come back byte for byte, images
 * are interleaved from planes into NHWC correctly, tensors are made on demand, and every bad input is a clear
 * error naming the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../support/backend';
import { loadCifar10, resolveCifar10Dir, projectRoot, checkCifar10Dir } from '../../runtime/data/reader';
import {
  CLASS_NAMES,
  META_FILE,
  RECORD_BYTES,
  TEST_BATCH_FILE,
  TRAIN_BATCH_FILES,
  encodeRecords,
} from '../../runtime/data/cifar10_format';
import { CifarSplit } from '../../src/data/split';
import { makeTmpDir, writeOfficialDir } from './fixtures';

const R = 3; // records per synthetic batch

describe('CIFAR-10 binary reader', () => {
  let root: string;
  let dir: string;
  let files: Map<string, Uint8Array>;

  beforeAll(async () => {
    await useBackend();
    root = makeTmpDir('reader');
    dir = path.join(root, 'cifar-10-batches-bin');
    files = writeOfficialDir(dir, R);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A copy of the good folder with one change, for the error cases. */
  function brokenCopy(name: string, change: (d: string) => void): string {
    const d = path.join(root, name);
    fs.cpSync(dir, d, { recursive: true });
    change(d);
    return d;
  }

  it('reads every record: labels, and planes interleaved into NHWC', async () => {
    const data = await loadCifar10({ dir, recordsPerBatch: R });
    expect(data.train.n).toBe(5 * R);
    expect(data.test.n).toBe(R);
    expect(data.classNames).toEqual(CLASS_NAMES);
    const check = (split: CifarSplit, batchFiles: string[]) => {
      batchFiles.forEach((f, b) => {
        const bytes = files.get(f)!;
        for (let r = 0; r < R; r++) {
          const i = b * R + r;
          const rec = r * RECORD_BYTES;
          expect(split.labels[i]).toBe(bytes[rec]);
          for (const [h, w] of [[0, 0], [0, 31], [17, 5], [31, 31]]) {
            for (let c = 0; c < 3; c++) {
              expect(split.images[i * 3072 + (h * 32 + w) * 3 + c]).toBe(bytes[rec + 1 + c * 1024 + h * 32 + w]);
            }
          }
        }
      });
    };
    check(data.train, TRAIN_BATCH_FILES);
    check(data.test, [TEST_BATCH_FILE]);
  });

  it('round-trips: encoding the loaded images gives back the exact file bytes', async () => {
    const data = await loadCifar10({ dir, recordsPerBatch: R });
    TRAIN_BATCH_FILES.forEach((f, b) => {
      const order = Array.from({ length: R }, (_, r) => b * R + r);
      expect(Buffer.from(encodeRecords(data.train.images, data.train.labels, order)).equals(Buffer.from(files.get(f)!))).toBe(true);
    });
    const order = Array.from({ length: R }, (_, r) => r);
    expect(Buffer.from(encodeRecords(data.test.images, data.test.labels, order)).equals(Buffer.from(files.get(TEST_BATCH_FILE)!))).toBe(true);
  });

  it('makes float32 tensors [k, 32, 32, 3] on demand for ranges and index lists, without leaks', async () => {
    const { train } = await loadCifar10({ dir, recordsPerBatch: R });
    const before = tf.memory().numTensors;
    const range = train.toTensor({ start: 2, end: 5 });
    expect(range.shape).toEqual([3, 32, 32, 3]);
    expect(range.dtype).toBe('float32');
    expect(Array.from(range.dataSync())).toEqual(Array.from(train.images.subarray(2 * 3072, 5 * 3072)));
    const picked = train.toTensor([7, 0, 7]);
    const values = picked.dataSync();
    expect(Array.from(values.subarray(0, 3072))).toEqual(Array.from(train.images.subarray(7 * 3072, 8 * 3072)));
    expect(Array.from(values.subarray(3072, 6144))).toEqual(Array.from(train.images.subarray(0, 3072)));
    const labels = train.labelsTensor([7, 0, 7]);
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.dataSync())).toEqual([train.labels[7], train.labels[0], train.labels[7]]);
    tf.dispose([range, picked, labels]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => train.toTensor([5 * R])).toThrow(/indices must be integers in 0\.\.14, got 15 at position 0/);
    expect(() => train.toTensor({ start: 4, end: 2 })).toThrow(/0 <= start <= end <= 15/);
  });

  it('finds the folder from the dir option, then CIFAR10_DIR, then data/ in the project', async () => {
    expect(resolveCifar10Dir(undefined, {}).dir).toBe(path.join(projectRoot(), 'data', 'cifar-10-batches-bin'));
    expect(resolveCifar10Dir(undefined, { CIFAR10_DIR: dir }).dir).toBe(dir);
    expect(resolveCifar10Dir('/x/y', { CIFAR10_DIR: dir }).dir).toBe('/x/y');
    const viaEnv = await loadCifar10({ env: { CIFAR10_DIR: dir }, recordsPerBatch: R });
    expect(viaEnv.train.n).toBe(5 * R);
  });

  it('a missing folder says how to get the data', async () => {
    const missing = path.join(root, 'nowhere');
    const err = loadCifar10({ env: { CIFAR10_DIR: missing } });
    await expect(err).rejects.toThrow(missing);
    await expect(loadCifar10({ env: { CIFAR10_DIR: missing } })).rejects.toThrow(/CIFAR10_DIR.*npm run get-data.*--from PATH.*set CIFAR10_DIR/);
  });

  it('a missing file is named', async () => {
    const d = brokenCopy('no-batch-2', (x) => fs.rmSync(path.join(x, 'data_batch_2.bin')));
    await expect(loadCifar10({ dir: d, recordsPerBatch: R })).rejects.toThrow(/lacks data_batch_2\.bin.*npm run get-data/);
  });

  it('a truncated batch names the file, its size and the expected size', async () => {
    const d = brokenCopy('truncated', (x) => {
      const f = path.join(x, 'data_batch_3.bin');
      fs.truncateSync(f, fs.statSync(f).size - 5);
    });
    const file = path.join(d, 'data_batch_3.bin');
    await expect(loadCifar10({ dir: d, recordsPerBatch: R })).rejects.toThrow(`${file}: size is 9,214 bytes, expected 9,219`);
    await expect(loadCifar10({ dir: d, recordsPerBatch: 'any' })).rejects.toThrow(/9,214 bytes, expected a positive multiple of 3,073/);
    await expect(checkCifar10Dir(d, R)).rejects.toThrow(file);
  });

  it('by default expects official 10,000-record batches of 30,730,000 bytes', async () => {
    const file = path.join(dir, 'data_batch_1.bin');
    await expect(loadCifar10({ dir })).rejects.toThrow(`${file}: size is 9,219 bytes, expected 30,730,000 (10,000 records`);
  });

  it('a label outside 0..9 names the file and the record', async () => {
    const d = brokenCopy('bad-label', (x) => {
      const f = path.join(x, 'data_batch_4.bin');
      const bytes = fs.readFileSync(f);
      bytes[2 * RECORD_BYTES] = 10;
      fs.writeFileSync(f, bytes);
    });
    await expect(loadCifar10({ dir: d, recordsPerBatch: R })).rejects.toThrow(
      `${path.join(d, 'data_batch_4.bin')}: record 2 (byte offset 6,146) has label 10; labels must be 0..9`,
    );
  });

  it('batches.meta.txt must list ten class names', async () => {
    const d = brokenCopy('bad-meta', (x) => fs.writeFileSync(path.join(x, META_FILE), 'cat\ndog\n'));
    await expect(loadCifar10({ dir: d, recordsPerBatch: R })).rejects.toThrow(/batches\.meta\.txt: expected 10 class names, one per line, got 2/);
  });
});
