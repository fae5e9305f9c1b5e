/**
 * A small learnable data set in the official CIFAR-10 binary format, for the page's end-to-end spec: each class
 * is a blocky 4x4 colour pattern upsampled to 32x32, and each image is its class pattern plus noise, so that a
 * model's loss falls within a few steps and the spec does not need the real data.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { Rng } from '../../src/random';
import { CifarSplit } from '../../src/data/split';
import type { PageData } from '../../web/data';
import { CLASS_NAMES, IMAGE_BYTES, IMAGE_SIZE, META_FILE, NUM_CLASSES, TRAIN_BATCH_FILES, encodeRecords, formatClassNames } from '../../runtime/data/cifar10_format';

/** Images [n * 3072] NHWC and labels [n], labels cycling through the classes. */
export function syntheticImages(n: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const block = 4;
  const patterns = Array.from({ length: NUM_CLASSES }, () => Array.from({ length: block * block * 3 }, () => 40 + rng.int(176)));
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  const cell = IMAGE_SIZE / block;
  for (let i = 0; i < n; i++) {
    const label = i % NUM_CLASSES;
    labels[i] = label;
    for (let h = 0; h < IMAGE_SIZE; h++) {
      for (let w = 0; w < IMAGE_SIZE; w++) {
        for (let c = 0; c < 3; c++) {
          const base = patterns[label][(Math.floor(h / cell) * block + Math.floor(w / cell)) * 3 + c];
          const v = base + (rng.uniform() - 0.5) * 80;
          images[i * IMAGE_BYTES + (h * IMAGE_SIZE + w) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return { images, labels };
}

/** Writes data_batch_1.bin with n records and batches.meta.txt into dir (created). */
export function writeSyntheticCifar(dir: string, n: number, seed = 7): void {
  fs.mkdirSync(dir, { recursive: true });
  const { images, labels } = syntheticImages(n, seed);
  const order = Array.from({ length: n }, (_, i) => i);
  fs.writeFileSync(path.join(dir, TRAIN_BATCH_FILES[0]), encodeRecords(images, labels, order));
  fs.writeFileSync(path.join(dir, META_FILE), formatClassNames(CLASS_NAMES));
}

/** The page's data (web/data.ts) from n synthetic images, the same images serving as validation; 120 subtracted. */
export function syntheticPageData(n: number, seed = 3): PageData {
  const { images, labels } = syntheticImages(n, seed);
  const X = tf.tidy(() => tf.sub(tf.tensor4d(Float32Array.from(images), [n, 32, 32, 3]), 120) as tf.Tensor4D);
  return {
    XTrain: X,
    yTrain: tf.tensor1d(Int32Array.from(labels), 'int32'),
    XVal: tf.clone(X),
    yVal: tf.tensor1d(Int32Array.from(labels), 'int32'),
    val: new CifarSplit(images, labels),
    mean: new Float32Array(3072).fill(120),
    classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    source: 'synthetic',
  };
}
