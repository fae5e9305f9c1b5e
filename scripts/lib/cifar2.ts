/**
 * Assignment 2's data for the scripts: the course's get_CIFAR10_data (49,000 train, 1,000 val, 1,000 test, the
 * training mean image subtracted), as NHWC image tensors [N, 32, 32, 3] (the course's are NCHW). The
 * fully-connected nets take the same tensors: their first affine layer flattens each image to 3,072 values.
 *
 * Where the data comes from: loadCifar10's rules (CIFAR10_DIR, else data/cifar-10-batches-bin). A folder with
 * fewer images than the official one (the specs' tiny synthetic set) is accepted, and the split shrinks with it:
 * a tenth of the training images (at most 1,000) become validation, the rest train; up to 1,000 test images.
 *
 * Usage:
 *   const data = await loadAssignment2Data(ctx.log);
 *   ... data.XTrain, data.yTrain, data.XVal, data.yVal, data.XTest, data.yTest ...
 *   disposeAssignment2Data(data);
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadCifar10 } from '../../src/data/reader';
import { RECORDS_PER_BATCH } from '../../src/data/cifar10_format';
import { preprocessCifar10 } from '../../src/data/preprocess';

export interface Assignment2Data {
  /** [numTraining, 32, 32, 3] NHWC, the training mean subtracted. */
  XTrain: tf.Tensor4D;
  yTrain: tf.Tensor1D;
  XVal: tf.Tensor4D;
  yVal: tf.Tensor1D;
  XTest: tf.Tensor4D;
  yTest: tf.Tensor1D;
  /** The training split's mean image [32, 32, 3], to add back when showing images. */
  meanImage: tf.Tensor3D;
  classNames: string[];
  /** False when the folder held fewer images than the official data set (the split was shrunk). */
  official: boolean;
}

/** The split sizes for a folder holding `numTrainImages` training and `numTestImages` test images. */
export function splitSizes(numTrainImages: number, numTestImages: number): { numTraining: number; numValidation: number; numTest: number } {
  const numValidation = Math.min(1000, Math.floor(numTrainImages / 10));
  return { numTraining: numTrainImages - numValidation, numValidation, numTest: Math.min(1000, numTestImages) };
}

/** Loads and preprocesses CIFAR-10 as the course's get_CIFAR10_data does; logs the split sizes. */
export async function loadAssignment2Data(log: (line: string) => void): Promise<Assignment2Data> {
  const raw = await loadCifar10({ recordsPerBatch: 'any' });
  const official = raw.train.n === 5 * RECORDS_PER_BATCH && raw.test.n === RECORDS_PER_BATCH;
  const sizes = splitSizes(raw.train.n, raw.test.n);
  const p = preprocessCifar10(raw, { ...sizes, numDev: 0, layout: 'images' });
  tf.dispose([p.xDev, p.yDev]);
  log(
    `data: ${raw.dir}${official ? '' : ' (smaller than the official set)'}: ` +
      `train ${sizes.numTraining}, val ${sizes.numValidation}, test ${sizes.numTest} images [N, 32, 32, 3], mean image subtracted`,
  );
  return {
    XTrain: p.xTrain as tf.Tensor4D,
    yTrain: p.yTrain,
    XVal: p.xVal as tf.Tensor4D,
    yVal: p.yVal,
    XTest: p.xTest as tf.Tensor4D,
    yTest: p.yTest,
    meanImage: p.meanImage,
    classNames: raw.classNames,
    official,
  };
}

/** The first `n` examples (or all, if fewer) of a split, as new tensors the caller disposes. */
export function firstExamples(X: tf.Tensor4D, y: tf.Tensor1D, n: number): { X: tf.Tensor4D; y: tf.Tensor1D } {
  const k = Math.min(n, X.shape[0]);
  return { X: tf.slice(X, 0, k), y: tf.slice(y, 0, k) };
}

/** Frees every tensor of the data. */
export function disposeAssignment2Data(d: Assignment2Data): void {
  tf.dispose([d.XTrain, d.yTrain, d.XVal, d.yVal, d.XTest, d.yTest, d.meanImage]);
}
