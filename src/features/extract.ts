/**
 * Image features for the linear classifiers, the course's `extract_features` and the normalisation its notebook
 * applies afterwards: run several feature functions on every image of a batch, concatenate their outputs per
 * image, then centre and scale each feature column by training-set statistics and append a bias column
 * (docs/hog.md explains the features).
 *
 * Features are computed one image at a time on plain typed arrays (no tensors): per 32 x 32 image the work is a
 * few thousand numbers, far too small for a kernel launch to pay off.
 */

/** Pixel values of images, HWC per image and NHWC per batch, RGB, 0..255. */
export type PixelArray = Uint8Array | Uint8ClampedArray | Float32Array | Float64Array;

/**
 * A feature function: one image in, one feature vector out, always of the same length.
 * image: H * W * 3 values, HWC, RGB. height, width: H and W.
 */
export type FeatureFn = (image: PixelArray, height: number, width: number) => Float32Array;

/** Throws unless image holds exactly height * width RGB pixels. */
export function checkImage(fn: string, image: PixelArray, height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new Error(`${fn}: height and width must be positive integers, got ${height} x ${width}`);
  }
  if (image.length !== height * width * 3) {
    throw new Error(`${fn}: image must hold H * W * 3 = ${height * width * 3} values (HWC, RGB, ${height} x ${width}), got ${image.length}`);
  }
}

export interface ExtractOptions {
  /** Image height H. Default 32. */
  height?: number;
  /** Image width W. Default 32. */
  width?: number;
  /** Called with (done, total) every `progressEvery` images and after the last one. */
  onProgress?: (done: number, total: number) => void;
  /** Default 1000, as the course prints its progress. */
  progressEvery?: number;
}

/**
 * Features of every image, stacked.
 *
 * images: [N, H, W, 3] NHWC, RGB, 0..255, flat (N * H * W * 3 values). featureFns: applied to each image in order;
 * their outputs are concatenated. Returns Float32Array [N, F] row-major, F the summed output lengths (taken from
 * the first image, as the course does); F = result.length / N.
 */
export function extractFeatures(images: PixelArray, featureFns: FeatureFn[], options: ExtractOptions = {}): Float32Array {
  const { height = 32, width = 32, onProgress, progressEvery = 1000 } = options;
  const imageSize = height * width * 3;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new Error(`extractFeatures: height and width must be positive integers, got ${height} x ${width}`);
  }
  if (images.length % imageSize !== 0) {
    throw new Error(`extractFeatures: images must be [N, ${height}, ${width}, 3] (NHWC), but ${images.length} values is not a multiple of ${imageSize}`);
  }
  if (featureFns.length === 0) throw new Error('extractFeatures: featureFns is empty');
  const n = images.length / imageSize;
  if (n === 0) return new Float32Array(0);

  const imageAt = (i: number): PixelArray => images.subarray(i * imageSize, (i + 1) * imageSize);
  const firstParts = featureFns.map((f) => f(imageAt(0), height, width));
  const dims = firstParts.map((p) => p.length);
  const dim = dims.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let offset = i * dim;
    for (let f = 0; f < featureFns.length; f++) {
      const part = i === 0 ? firstParts[f] : featureFns[f](imageAt(i), height, width);
      if (part.length !== dims[f]) {
        throw new Error(`extractFeatures: feature function ${f} returned ${part.length} values for image ${i}, but ${dims[f]} for image 0`);
      }
      out.set(part, offset);
      offset += part.length;
    }
    if (onProgress && ((i + 1) % progressEvery === 0 || i === n - 1)) onProgress(i + 1, n);
  }
  return out;
}

/** Per-column statistics of a training feature matrix, for normalizeFeatures. */
export interface FeatureStats {
  /** Column means [F]. */
  mean: Float32Array;
  /** Column standard deviations [F] (population, ddof 0, as np.std). */
  std: Float32Array;
}

/**
 * Mean and standard deviation of every feature column, as the notebook computes them on the training set.
 * features: [N, F] row-major; dim: F. Sums run in float64.
 */
export function featureStats(features: Float32Array, dim: number): FeatureStats {
  if (!Number.isInteger(dim) || dim <= 0 || features.length % dim !== 0 || features.length === 0) {
    throw new Error(`featureStats: features must be a non-empty [N, ${dim}] matrix, got ${features.length} values`);
  }
  const n = features.length / dim;
  const sum = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) sum[j] += features[i * dim + j];
  const mean = new Float64Array(dim);
  for (let j = 0; j < dim; j++) mean[j] = sum[j] / n;
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const d = features[i * dim + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const std = new Float32Array(dim);
  for (let j = 0; j < dim; j++) std[j] = Math.sqrt(sq[j] / n);
  return { mean: Float32Array.from(mean), std: Float32Array.from(std) };
}

/**
 * (features - mean) / std per column, then, by default, a column of ones appended (the bias trick), as the
 * notebook does for the train, validation and test features with the training statistics.
 *
 * features: [N, F] row-major. stats: from featureStats on the training features. appendBias: default true.
 * Returns Float32Array [N, F + 1] (or [N, F]). A column with std 0 (constant on the training set) is only
 * centred: the course would divide by zero there and get NaN.
 */
export function normalizeFeatures(features: Float32Array, stats: FeatureStats, appendBias = true): Float32Array {
  const dim = stats.mean.length;
  if (stats.std.length !== dim) throw new Error(`normalizeFeatures: stats.mean has ${dim} values but stats.std has ${stats.std.length}`);
  if (features.length % dim !== 0) {
    throw new Error(`normalizeFeatures: features must be [N, ${dim}] to match the stats, but ${features.length} values is not a multiple of ${dim}`);
  }
  const n = features.length / dim;
  const outDim = appendBias ? dim + 1 : dim;
  const out = new Float32Array(n * outDim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const s = stats.std[j] > 0 ? stats.std[j] : 1;
      out[i * outDim + j] = (features[i * dim + j] - stats.mean[j]) / s;
    }
    if (appendBias) out[i * outDim + dim] = 1;
  }
  return out;
}
