/**
 * CIFAR-10 as the assignment-1 scripts take it: loaded from CIFAR10_DIR (else data/cifar-10-batches-bin), cut to
 * the course's split sizes (smaller under --quick), preprocessed, with the shapes printed as the notebooks print
 * them.
 *
 * Small folders. The loader insists on the official 10,000 records per batch file. A test fixture (or a user's
 * own small set) can set CIFAR10_RECORDS_PER_BATCH to another count, or to 'any'; the split sizes a script asks for
 * then shrink, in proportion, to what the folder holds, and the script says so.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Cifar10, loadCifar10 } from '../../runtime/data/reader';
import { DataError } from '../../src/data/errors';
import { PreprocessOptions, PreprocessedCifar10, preprocessCifar10 } from '../../src/data/preprocess';
import { CifarSplit } from '../../src/data/split';
import { IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_SIZE } from '../../runtime/data/cifar10_format';
import { GridImage } from '../../runtime/vis/image_grid';
import type { ScriptContext } from './cli';
import { printSummary } from './run_dir';

/** How many images each split takes (the course's names). */
export interface SplitSizes {
  numTraining: number;
  numValidation: number;
  numTest: number;
  numDev: number;
}

/** The records-per-batch check the loader applies: CIFAR10_RECORDS_PER_BATCH if set ('any' or a count), else 10,000. */
export function recordsPerBatchFromEnv(env: NodeJS.ProcessEnv = process.env): number | 'any' | undefined {
  const v = env.CIFAR10_RECORDS_PER_BATCH;
  if (v === undefined || v === '') return undefined;
  if (v.trim().toLowerCase() === 'any') return 'any';
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new DataError(`CIFAR10_RECORDS_PER_BATCH must be a positive integer or 'any', got '${v}'`);
  }
  return n;
}

/** Loads CIFAR-10 (see the file comment for where from) and logs where it came from and how much it holds. */
export async function loadCifarForScript(ctx: ScriptContext): Promise<Cifar10> {
  const started = Date.now();
  const data = await loadCifar10({ recordsPerBatch: recordsPerBatchFromEnv() });
  ctx.log(`loaded ${data.train.n} training and ${data.test.n} test images from ${data.dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return data;
}

/**
 * The split sizes to use: `wanted`, unless the folder holds fewer images. Then training and validation shrink by
 * the same factor (so that both fit in the training images), test is capped by the test images, and dev by the
 * training split. Every split but dev keeps at least one image. Logs a line when anything shrank.
 */
export function fitSplitSizes(ctx: ScriptContext, data: Cifar10, wanted: SplitSizes): SplitSizes {
  const availableTrain = data.train.n;
  const availableTest = data.test.n;
  const trainVal = wanted.numTraining + wanted.numValidation;
  let { numTraining, numValidation } = wanted;
  if (trainVal > availableTrain) {
    if (availableTrain < 2) throw new DataError(`the data folder holds ${availableTrain} training images; at least 2 are needed (one to train, one to validate)`);
    const factor = availableTrain / trainVal;
    numValidation = wanted.numValidation === 0 ? 0 : Math.max(1, Math.floor(wanted.numValidation * factor));
    numTraining = Math.max(1, Math.min(availableTrain - numValidation, Math.floor(wanted.numTraining * factor)));
  }
  const numTest = Math.max(1, Math.min(wanted.numTest, availableTest));
  const numDev = Math.min(wanted.numDev, numTraining);
  const sizes = { numTraining, numValidation, numTest, numDev };
  if (sizes.numTraining !== wanted.numTraining || sizes.numValidation !== wanted.numValidation || sizes.numTest !== wanted.numTest || sizes.numDev !== wanted.numDev) {
    ctx.log(
      `the data folder holds ${availableTrain} training and ${availableTest} test images: using ` +
        `${numTraining} / ${numValidation} / ${numTest} / ${numDev} (train / val / test / dev) instead of ` +
        `${wanted.numTraining} / ${wanted.numValidation} / ${wanted.numTest} / ${wanted.numDev}`,
    );
  }
  return sizes;
}

/** The course's preprocessing (src/data/preprocess.ts) on the fitted sizes, with the shapes printed. */
export function preprocessForScript(
  ctx: ScriptContext,
  data: Cifar10,
  sizes: SplitSizes,
  options: Omit<PreprocessOptions, keyof SplitSizes | 'seed'> = {},
): PreprocessedCifar10 {
  const p = preprocessCifar10(data, { ...sizes, ...options, seed: ctx.seed });
  printShapes('data shapes', {
    'training data': p.xTrain,
    'training labels': p.yTrain,
    'validation data': p.xVal,
    'validation labels': p.yVal,
    'test data': p.xTest,
    'test labels': p.yTest,
    'dev data': p.xDev,
    'dev labels': p.yDev,
  });
  return p;
}

/**
 * Prints a table of tensor shapes, as the notebooks print `X_train.shape` and friends. Empty splits (a script
 * that uses no validation or dev set) are left out.
 */
export function printShapes(title: string, tensors: Record<string, tf.Tensor>): void {
  printSummary(
    title,
    Object.entries(tensors)
      .filter(([, t]) => t.shape[0] > 0)
      .map(([name, t]) => ({ name, shape: `[${t.shape.join(', ')}]`, dtype: t.dtype })),
  );
}

export { predictionAccuracy } from '../../src/classifiers/accuracy';

/** The labels of a tensor [N] as an Int32Array. */
export function labelArray(y: tf.Tensor1D): Int32Array {
  return Int32Array.from(y.dataSync());
}

/**
 * Up to `perClass` images of every class, drawn at random (seeded), laid out for imageGrid with one column per
 * class: tile (row r, column c) is class c's r-th sample, as the notebooks' sample grids. A class with fewer images
 * leaves its remaining tiles grey.
 */
export function samplesPerClass(ctx: ScriptContext, split: CifarSplit, numClasses: number, perClass: number): GridImage[] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < split.n; i++) byClass[split.labels[i]]?.push(i);
  const chosen = byClass.map((idx) => {
    const pick = ctx.rng.choiceWithoutReplacement(idx.length, Math.min(perClass, idx.length));
    return Array.from(pick, (j) => idx[j]);
  });
  const grey = new Uint8Array(IMAGE_BYTES).fill(200);
  const tiles: GridImage[] = [];
  for (let r = 0; r < perClass; r++) {
    for (let c = 0; c < numClasses; c++) {
      const i = chosen[c][r];
      const data = i === undefined ? grey : split.imageBytes({ start: i, end: i + 1 });
      tiles.push({ data, h: IMAGE_SIZE, w: IMAGE_SIZE, c: IMAGE_CHANNELS });
    }
  }
  return tiles;
}

/**
 * A linear classifier's weights as one image per class (the notebooks' "templates"): W [3073, C] with the bias row
 * last (or [3072, C] without), each column's first 3,072 values read back as a 32 x 32 x 3 image (rows were
 * flattened NHWC, so this is the inverse). The caller draws them with imageGrid's 'global' normalisation.
 */
export function weightImages(W: tf.Tensor2D, classNames: string[]): GridImage[] {
  const [rows, numClasses] = W.shape;
  if (rows !== IMAGE_BYTES && rows !== IMAGE_BYTES + 1) {
    throw new Error(`weightImages: W must be [3072 or 3073, C] (pixels, then optionally the bias row), got [${W.shape}]`);
  }
  const w = W.dataSync();
  return Array.from({ length: numClasses }, (_, c) => {
    const data = new Float32Array(IMAGE_BYTES);
    for (let p = 0; p < IMAGE_BYTES; p++) data[p] = w[p * numClasses + c];
    return { data, h: IMAGE_SIZE, w: IMAGE_SIZE, c: IMAGE_CHANNELS, label: classNames[c] };
  });
}

/**
 * Runs fn and measures it twice: wall-clock seconds (what the notebooks report) and this process's CPU seconds,
 * which stay meaningful when other jobs share the machine (the wasm backend runs on one thread).
 */
export function timed<T>(fn: () => T): { result: T; seconds: number; cpuSeconds: number } {
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const result = fn();
  const seconds = secondsSince(t0);
  const cpu = process.cpuUsage(cpu0);
  return { result, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Seconds since `start` (a Date.now() value), for timings. */
export function secondsSince(start: number): number {
  return (Date.now() - start) / 1000;
}
