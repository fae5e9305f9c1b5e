/**
 * Assignment 2's data for the scripts: the course's get_CIFAR10_data (49,000 train, 1,000 val, 1,000 test, the
 * training mean image subtracted), as NHWC image tensors [N, 32, 32, 3] (the course's are NCHW). The
 * fully-connected nets take the same tensors: their first affine layer flattens each image to 3,072 values.
 *
 * Loading, shrinking to a small folder (CIFAR10_RECORDS_PER_BATCH, for the specs' synthetic data) and printing the
 * shapes are assignment 1's (./cifar.ts); this file picks assignment 2's sizes and layout.
 *
 * Usage:
 *   const data = await loadAssignment2Data(ctx);
 *   ... data.XTrain, data.yTrain, data.XVal, data.yVal, data.XTest, data.yTest ...
 *   disposeAssignment2Data(data);
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ScriptContext } from './cli';
import { fitSplitSizes, loadCifarForScript, preprocessForScript } from './cifar';

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
}

/** Loads and preprocesses CIFAR-10 as the course's get_CIFAR10_data does, and prints the shapes. */
export async function loadAssignment2Data(ctx: ScriptContext): Promise<Assignment2Data> {
  const raw = await loadCifarForScript(ctx);
  const sizes = fitSplitSizes(ctx, raw, { numTraining: 49000, numValidation: 1000, numTest: 1000, numDev: 0 });
  const p = preprocessForScript(ctx, raw, sizes, { layout: 'images' });
  tf.dispose([p.xDev, p.yDev]);
  return {
    XTrain: p.xTrain as tf.Tensor4D,
    yTrain: p.yTrain,
    XVal: p.xVal as tf.Tensor4D,
    yVal: p.yVal,
    XTest: p.xTest as tf.Tensor4D,
    yTest: p.yTest,
    meanImage: p.meanImage,
    classNames: raw.classNames,
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
