/**
 * The course's CIFAR-10 preprocessing (assignment 1's svm/softmax notebooks, assignment 2's get_CIFAR10_data):
 *
 *   1. split: train = the first 49,000 training images, val = training images 49,000..49,999, test = the first
 *      1,000 test images, dev = 500 training images drawn without replacement (seeded), for quick experiments;
 *   2. mean-image subtraction: the mean of the *training split* (never val/test: that would leak them) is
 *      subtracted from every split;
 *   3. flatten each image to a row [N, 3072]; the course's loader transposes to [N, 32, 32, 3] before
 *      `reshape(N, -1)`, so its column order (h, w, c) is ours too;
 *   4. the bias trick: append a column of ones, [N, 3073], so a linear classifier's bias is the last row of W.
 *
 * Memory: the byte splits (split.ts) are views or small copies; each float32 result is built in one Float32Array
 * that becomes its tensor, with no intermediate tensors (49,000 x 3,073 float32 is 602 MB).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random';
import { DataError } from './errors';
import { IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_SIZE } from './cifar10';
import { CifarSplit } from './split';

export interface SplitCounts {
  /** Training images, taken from the front of the training set (default 49,000). */
  numTraining?: number;
  /** Validation images, the ones right after the training images (default 1,000). */
  numValidation?: number;
  /** Test images, from the front of the test set (default 1,000). */
  numTest?: number;
  /** Dev images, drawn from the training split without replacement (default 500). */
  numDev?: number;
  /** Seed of the dev draw (default 0). */
  seed?: number;
}

export interface CifarSplits {
  train: CifarSplit;
  val: CifarSplit;
  test: CifarSplit;
  dev: CifarSplit;
}

function checkCount(name: string, value: number, max: number, maxWhat: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new DataError(`splitCifar10: ${name} must be an integer in 0..${max} (${maxWhat}), got ${value}`);
  }
}

/** Step 1: the four splits as bytes. train/val/test share the loaded bytes (views); dev is a small copy. */
export function splitCifar10(data: { train: CifarSplit; test: CifarSplit }, counts: SplitCounts = {}): CifarSplits {
  const { numTraining = 49000, numValidation = 1000, numTest = 1000, numDev = 500, seed = 0 } = counts;
  // Destructured: the lint rule against tf.train.* also matches any `x.train`.
  const { train: allTrain, test: allTest } = data;
  checkCount('numTraining', numTraining, allTrain.n, 'training images loaded');
  checkCount('numValidation', numValidation, allTrain.n - numTraining, 'training images loaded minus numTraining');
  checkCount('numTest', numTest, allTest.n, 'test images loaded');
  checkCount('numDev', numDev, numTraining, 'numTraining');
  const train = allTrain.subset({ start: 0, end: numTraining });
  return {
    train,
    val: allTrain.subset({ start: numTraining, end: numTraining + numValidation }),
    test: allTest.subset({ start: 0, end: numTest }),
    dev: train.subset(new Rng(seed).choiceWithoutReplacement(numTraining, numDev)),
  };
}

/** Step 2's mean: the per-pixel mean image of a split, [3072] in NHWC order, accumulated in float64. */
export function meanImage(split: CifarSplit): Float32Array {
  if (split.n === 0) throw new DataError('meanImage: the split is empty; the mean of no images is undefined');
  const sum = new Float64Array(IMAGE_BYTES);
  const { images } = split;
  for (let i = 0; i < split.n; i++) {
    const base = i * IMAGE_BYTES;
    for (let p = 0; p < IMAGE_BYTES; p++) sum[p] += images[base + p];
  }
  const mean = new Float32Array(IMAGE_BYTES);
  for (let p = 0; p < IMAGE_BYTES; p++) mean[p] = sum[p] / split.n;
  return mean;
}

export interface FloatOptions {
  /** Subtracted from every image, [3072] NHWC (from meanImage); omit to keep 0..255. */
  mean?: Float32Array;
  /** 'rows': [N, 3072] (assignment 1); 'images': [N, 32, 32, 3] NHWC (assignment 2; the course's are NCHW). */
  layout?: 'rows' | 'images';
  /** Append a column of ones (rows only): [N, 3073]. */
  bias?: boolean;
}

/** Steps 2-4 for one split: a float32 tensor built in a single pass over the bytes. The caller disposes it. */
export function toFloatTensor(split: CifarSplit, options: FloatOptions = {}): tf.Tensor {
  const { mean, layout = 'rows', bias = false } = options;
  if (bias && layout !== 'rows') throw new DataError(`toFloatTensor: bias needs layout 'rows', got layout '${layout}'`);
  if (mean !== undefined && mean.length !== IMAGE_BYTES) {
    throw new DataError(`toFloatTensor: mean must have ${IMAGE_BYTES} values [32 * 32 * 3], got ${mean.length}`);
  }
  const { images, n } = split;
  const cols = IMAGE_BYTES + (bias ? 1 : 0);
  const values = new Float32Array(n * cols);
  for (let i = 0; i < n; i++) {
    const src = i * IMAGE_BYTES;
    const dst = i * cols;
    if (mean === undefined) values.set(images.subarray(src, src + IMAGE_BYTES), dst);
    else for (let p = 0; p < IMAGE_BYTES; p++) values[dst + p] = images[src + p] - mean[p];
    if (bias) values[dst + IMAGE_BYTES] = 1;
  }
  return layout === 'rows'
    ? tf.tensor2d(values, [n, cols], 'float32')
    : tf.tensor4d(values, [n, IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS], 'float32');
}

/** The bias trick on a tensor: x [N, D] -> [N, D + 1] with a last column of ones. */
export function appendBiasColumn(x: tf.Tensor2D): tf.Tensor2D {
  if (x.rank !== 2) throw new DataError(`appendBiasColumn: x must be rank 2 [N, D], got shape [${x.shape}]`);
  return tf.tidy(() => tf.concat([x, tf.ones([x.shape[0], 1], 'float32')], 1) as tf.Tensor2D);
}

export interface PreprocessOptions extends SplitCounts {
  /** Subtract the training split's mean image (default true). */
  subtractMean?: boolean;
  /** 'rows' (default) or 'images'; see FloatOptions. */
  layout?: 'rows' | 'images';
  /** Append the column of ones (default: true for rows, and not allowed for images). */
  bias?: boolean;
}

export interface PreprocessedCifar10 {
  /** [numTraining, 3073] with the default options. */
  xTrain: tf.Tensor;
  /** int32 [numTraining], 0..9. */
  yTrain: tf.Tensor1D;
  xVal: tf.Tensor;
  yVal: tf.Tensor1D;
  xTest: tf.Tensor;
  yTest: tf.Tensor1D;
  xDev: tf.Tensor;
  yDev: tf.Tensor1D;
  /** The training split's mean image [32, 32, 3] (zeros when subtractMean is false). */
  meanImage: tf.Tensor3D;
}

/**
 * The course's whole pipeline: split, subtract the training mean, flatten, append ones. Returns tensors the caller
 * disposes (disposePreprocessed). The knn notebook's variant: { numTraining: 5000, numValidation: 0,
 * numTest: 500, numDev: 0, subtractMean: false, bias: false }; assignment 2's: { layout: 'images' }.
 */
export function preprocessCifar10(data: { train: CifarSplit; test: CifarSplit }, options: PreprocessOptions = {}): PreprocessedCifar10 {
  const { subtractMean = true, layout = 'rows' } = options;
  const bias = options.bias ?? layout === 'rows';
  const { train, val, test, dev } = splitCifar10(data, options);
  const mean = subtractMean ? meanImage(train) : new Float32Array(IMAGE_BYTES);
  const float = (s: CifarSplit) => toFloatTensor(s, { mean: subtractMean ? mean : undefined, layout, bias });
  return {
    xTrain: float(train),
    yTrain: train.labelsTensor(),
    xVal: float(val),
    yVal: val.labelsTensor(),
    xTest: float(test),
    yTest: test.labelsTensor(),
    xDev: float(dev),
    yDev: dev.labelsTensor(),
    meanImage: tf.tensor3d(mean, [IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS], 'float32'),
  };
}

/** Disposes every tensor of a preprocessCifar10 result. */
export function disposePreprocessed(p: PreprocessedCifar10): void {
  tf.dispose([p.xTrain, p.yTrain, p.xVal, p.yVal, p.xTest, p.yTest, p.xDev, p.yDev, p.meanImage]);
}
