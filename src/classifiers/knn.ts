/**
 * k-nearest-neighbour classifier with L2 distance, the course's `k_nearest_neighbor.py`: three ways to compute
 * the distance matrix (two loops, one loop, no loops), majority vote over the k nearest training rows, and k-fold
 * cross-validation to choose k. Why the loop-free version works is in docs/knn-distances.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLabels, checkPositiveInt, checkRank } from '../layers/validate';
import { Labels, numClassesOf } from './labels';
import { predictionAccuracy } from './accuracy';

export class KNearestNeighbor {
  /** Training rows [Ntr, D], float32. */
  private Xtr: tf.Tensor2D | null = null;
  /** Training labels [Ntr]. */
  private ytr: Int32Array | null = null;

  /**
   * "Training" is memorising: keeps X [Ntr, D] and y [Ntr]. The classifier holds its own float32 copy of X
   * (pixels may come as int32); dispose() frees it.
   */
  train(X: tf.Tensor2D, y: Labels): void {
    checkRank('KNearestNeighbor.train', 'X', X, 2, '[Ntr, D]');
    const labels = checkLabels('KNearestNeighbor.train', y, X.shape[0]);
    this.dispose();
    this.ytr = Int32Array.from(labels);
    this.Xtr = tf.keep(tf.cast(X, 'float32'));
  }

  /** The stored training rows [Ntr, D] once X [Nte, D] has been checked against them; throws before train(). */
  private trainingRows(fn: string, X: tf.Tensor2D): tf.Tensor2D {
    if (this.Xtr === null) {
      throw new Error(`KNearestNeighbor.${fn}: no training data; call train(X, y) first`);
    }
    checkRank(`KNearestNeighbor.${fn}`, 'X', X, 2, '[Nte, D]');
    const d = this.Xtr.shape[1];
    if (X.shape[1] !== d) throw new Error(`KNearestNeighbor.${fn}: X must be [Nte, ${d}] like the training rows, got [${X.shape}]`);
    return this.Xtr;
  }

  /**
   * L2 distances with a loop over test rows and a loop over training rows, each distance summed element by
   * element: the course's `np.sqrt(np.sum(np.square(X[i] - X_train[j])))` for every pair (i, j), written over
   * plain arrays. Slow on purpose: it is the baseline the other two are timed against.
   *
   * X: [Nte, D] test rows. Returns dists [Nte, Ntr], dists[i, j] = ||X[i] - Xtr[j]||.
   */
  computeDistancesTwoLoops(X: tf.Tensor2D): tf.Tensor2D {
    const Xtr = this.trainingRows('computeDistancesTwoLoops', X);
    const [numTest, dim] = X.shape;
    const numTrain = Xtr.shape[0];
    const te = X.dataSync();
    const tr = Xtr.dataSync();
    const dists = new Float32Array(numTest * numTrain);
    for (let i = 0; i < numTest; i++) {
      for (let j = 0; j < numTrain; j++) {
        let sum = 0;
        for (let d = 0; d < dim; d++) {
          const diff = te[i * dim + d] - tr[j * dim + d];
          sum += diff * diff;
        }
        dists[i * numTrain + j] = Math.sqrt(sum);
      }
    }
    return tf.tensor2d(dists, [numTest, numTrain]);
  }

  /**
   * L2 distances with one loop over test rows: each row is broadcast against the whole training set, the course's
   * `np.sqrt(np.sum(np.square(X_train - X[i]), axis=1))`.
   *
   * X: [Nte, D]. Returns dists [Nte, Ntr].
   */
  computeDistancesOneLoop(X: tf.Tensor2D): tf.Tensor2D {
    const Xtr = this.trainingRows('computeDistancesOneLoop', X);
    const [numTest, dim] = X.shape;
    const numTrain = Xtr.shape[0];
    // Test rows are cut from one read of X: on wasm, tf.slice copies its whole source tensor on every call.
    const te = X.dataSync();
    const dists = new Float32Array(numTest * numTrain);
    for (let i = 0; i < numTest; i++) {
      const row = tf.tidy(() => {
        const testRow = tf.tensor2d(te.subarray(i * dim, (i + 1) * dim), [1, dim], X.dtype);
        return tf.sqrt(tf.sum(tf.square(tf.sub(Xtr, testRow)), 1)); // [Ntr]: the row broadcasts over Xtr
      });
      dists.set(row.dataSync(), i * numTrain);
      row.dispose();
    }
    return tf.tensor2d(dists, [numTest, numTrain]);
  }

  /**
   * L2 distances without loops: ||x - t||^2 = ||x||^2 + ||t||^2 - 2 x.t for every pair at once, the cross terms
   * being one matrix product X Xtr^T (docs/knn-distances.md). Rounding can leave a tiny negative value where two
   * rows are (nearly) equal, so squared distances are clamped at 0 before the square root.
   *
   * X: [Nte, D]. Returns dists [Nte, Ntr].
   */
  computeDistancesNoLoops(X: tf.Tensor2D): tf.Tensor2D {
    const Xtr = this.trainingRows('computeDistancesNoLoops', X);
    return tf.tidy(() => {
      const test = tf.cast(X, 'float32');
      const testSq = tf.sum(tf.square(test), 1, true); // [Nte, 1]
      const trainSq = tf.sum(tf.square(Xtr), 1); // [Ntr]
      // Xtr^T is made explicitly: wasm's matMul with transposeB set is ~10x slower (docs/performance.md).
      const cross = tf.matMul(test, tf.transpose(Xtr)); // [Nte, Ntr]
      const sq = tf.sub(tf.add(testSq, trainSq), tf.mul(2, cross)); // [Nte, Ntr]
      return tf.sqrt(tf.relu(sq)) as tf.Tensor2D;
    });
  }

  /**
   * Majority vote among the k nearest training rows of each test row. Ties in the vote go to the smallest label
   * (as the course's np.argmax(np.bincount(...)) does); ties in distance go to the earlier training row.
   *
   * dists: [Nte, Ntr] from one of the computeDistances* methods. k: neighbours, 1..Ntr. Returns labels [Nte].
   */
  predictLabels(dists: tf.Tensor2D, k = 1): Int32Array {
    if (this.ytr === null) throw new Error('KNearestNeighbor.predictLabels: no training labels; call train(X, y) first');
    checkRank('KNearestNeighbor.predictLabels', 'dists', dists, 2, '[Nte, Ntr]');
    const [numTest, numTrain] = dists.shape;
    if (numTrain !== this.ytr.length) {
      throw new Error(`KNearestNeighbor.predictLabels: dists must be [Nte, ${this.ytr.length}] (one column per training row), got [${dists.shape}]`);
    }
    checkK('KNearestNeighbor.predictLabels', k, numTrain);
    const nearest = nearestIndices(dists.dataSync(), numTest, numTrain, k);
    return voteLabels(nearest, numTest, k, k, this.ytr);
  }

  /**
   * Predicted labels for X [Nte, D] with k neighbours, the distances computed by the chosen number of loops
   * (0, 1 or 2), as the course's predict(X, k, num_loops).
   */
  predict(X: tf.Tensor2D, k = 1, numLoops: 0 | 1 | 2 = 0): Int32Array {
    const dists =
      numLoops === 0
        ? this.computeDistancesNoLoops(X)
        : numLoops === 1
          ? this.computeDistancesOneLoop(X)
          : numLoops === 2
            ? this.computeDistancesTwoLoops(X)
            : invalidLoops(numLoops);
    try {
      return this.predictLabels(dists, k);
    } finally {
      dists.dispose();
    }
  }

  /** Frees the stored training set. */
  dispose(): void {
    this.Xtr?.dispose();
    this.Xtr = null;
    this.ytr = null;
  }
}

function invalidLoops(numLoops: number): never {
  throw new Error(`KNearestNeighbor.predict: numLoops must be 0, 1 or 2, got ${numLoops}`);
}

function checkK(fn: string, k: number, numTrain: number): void {
  checkPositiveInt(fn, 'k', k);
  if (k > numTrain) throw new Error(`${fn}: k = ${k} exceeds the number of training rows (${numTrain})`);
}

/**
 * For every row of a distance matrix, the indices of its k smallest entries, nearest first (ties: lower index
 * first). Kept by insertion into a sorted list of k, which costs about Ntr comparisons per row when k << Ntr.
 *
 * dists: [Nte * Ntr] row-major. Returns [Nte * k] row-major.
 */
export function nearestIndices(dists: ArrayLike<number>, numTest: number, numTrain: number, k: number): Int32Array {
  const out = new Int32Array(numTest * k);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let i = 0; i < numTest; i++) {
    const row = i * numTrain;
    let filled = 0;
    for (let j = 0; j < numTrain; j++) {
      const d = dists[row + j];
      // Strictly smaller than the current k-th: an equal distance keeps the earlier row.
      if (filled === k && !(d < bestD[k - 1])) continue;
      let pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && d < bestD[pos - 1]) {
        bestD[pos] = bestD[pos - 1];
        bestI[pos] = bestI[pos - 1];
        pos--;
      }
      bestD[pos] = d;
      bestI[pos] = j;
    }
    out.set(bestI, i * k);
  }
  return out;
}

/**
 * Majority vote over the first k of each row's kMax nearest indices (nearest first).
 * nearest: [Nte * kMax]. Returns labels [Nte]; vote ties go to the smallest label.
 */
export function voteLabels(nearest: Int32Array, numTest: number, kMax: number, k: number, ytr: Int32Array): Int32Array {
  const counts = new Int32Array(numClassesOf(ytr));
  const pred = new Int32Array(numTest);
  for (let i = 0; i < numTest; i++) {
    counts.fill(0);
    for (let m = 0; m < k; m++) counts[ytr[nearest[i * kMax + m]]]++;
    let best = 0;
    for (let c = 1; c < counts.length; c++) if (counts[c] > counts[best]) best = c;
    pred[i] = best;
  }
  return pred;
}

/**
 * Row ranges of the folds, as np.array_split(X, numFolds): the first N mod numFolds folds get one extra row.
 * Returns [start, end) per fold.
 */
export function foldRanges(n: number, numFolds: number): Array<[number, number]> {
  checkPositiveInt('foldRanges', 'numFolds', numFolds);
  if (numFolds > n) throw new Error(`foldRanges: numFolds = ${numFolds} exceeds the number of rows (${n})`);
  const base = Math.floor(n / numFolds);
  const extra = n % numFolds;
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let f = 0; f < numFolds; f++) {
    const end = start + base + (f < extra ? 1 : 0);
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}

/**
 * k-fold cross-validation of kNN over several k: for each fold, train on the other folds, predict the held-out
 * fold and record the accuracy. Distances and neighbour lists are computed once per fold and shared by every k.
 *
 * X: [N, D] rows. y: [N] labels. kChoices: the k to try (each at most the size of a training split).
 * numFolds: default 5. onFold: called after each fold with its index.
 * Returns k -> accuracies [numFolds], fold order, as the course's k_to_accuracies.
 */
export function crossValidate(
  X: tf.Tensor2D,
  y: Labels,
  kChoices: number[],
  numFolds = 5,
  onFold?: (fold: number) => void,
): Record<number, number[]> {
  checkRank('crossValidate', 'X', X, 2, '[N, D]');
  const [n, dim] = X.shape;
  const labels = checkLabels('crossValidate', y, n);
  const ranges = foldRanges(n, numFolds);
  if (kChoices.length === 0) throw new Error('crossValidate: kChoices is empty');
  const kMax = Math.max(...kChoices);
  const accuracies: Record<number, number[]> = {};
  for (const k of kChoices) accuracies[k] = [];

  // Splits are cut from one read of X: on wasm, tf.slice copies its whole source tensor on every call.
  const rows = X.dataSync();
  for (let f = 0; f < numFolds; f++) {
    const [start, end] = ranges[f];
    const numVal = end - start;
    const numTrain = n - numVal;
    for (const k of kChoices) checkK('crossValidate', k, numTrain);
    // Training split: the rows before the held-out fold, then the rows after it.
    const xtr = new Float32Array(numTrain * dim);
    xtr.set(rows.subarray(0, start * dim), 0);
    xtr.set(rows.subarray(end * dim), start * dim);
    const ytr = new Int32Array(numTrain);
    ytr.set(labels.subarray(0, start), 0);
    ytr.set(labels.subarray(end), start);
    const yval = labels.subarray(start, end);

    const knn = new KNearestNeighbor();
    const dists = tf.tidy(() => {
      knn.train(tf.tensor2d(xtr, [numTrain, dim], 'float32'), ytr);
      return knn.computeDistancesNoLoops(tf.tensor2d(rows.subarray(start * dim, end * dim), [numVal, dim], 'float32'));
    });
    const nearest = nearestIndices(dists.dataSync(), numVal, numTrain, kMax);
    dists.dispose();
    knn.dispose();
    for (const k of kChoices) {
      accuracies[k].push(predictionAccuracy(voteLabels(nearest, numVal, kMax, k, ytr), yval));
    }
    onFold?.(f);
  }
  return accuracies;
}
