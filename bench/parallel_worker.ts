/**
 * A worker thread for the `--parallel` prototypes (parallel.ts): it runs the library's own feature extraction
 * or kNN distances on its share of the rows and writes the result into shared memory. Started through
 * parallel.ts's bootstrap, which registers tsx so that this TypeScript file loads in a worker.
 *
 * Messages (each answered with { id } when done, or { id, error }):
 *   features  { images, imageOffset, count, out, outOffset }: extractFeatures of `count` images
 *   knnTrain  { train, numTrain, dim }: starts tfjs on wasm in this thread and memorises the training rows
 *   knnDists  { test, rowOffset, count, dim, out }: distances of `count` test rows to every training row
 * Buffers are SharedArrayBuffers; offsets count elements.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../runtime/backend';
import { KNearestNeighbor } from '../src/classifiers/knn';
import { extractFeatures } from '../src/features/extract';
import { hogFeature } from '../src/features/hog';
import { colorHistogramHsv } from '../src/features/color_histogram';

interface Message {
  id: number;
  kind: 'features' | 'knnTrain' | 'knnDists';
  [key: string]: unknown;
}

const IMAGE_SIZE = 32 * 32 * 3;
let knn: KNearestNeighbor | null = null;

async function handle(m: Message): Promise<void> {
  if (m.kind === 'features') {
    const count = m.count as number;
    const images = new Uint8Array(m.images as SharedArrayBuffer, (m.imageOffset as number) * IMAGE_SIZE, count * IMAGE_SIZE);
    const features = extractFeatures(images, [hogFeature, colorHistogramHsv]);
    new Float32Array(m.out as SharedArrayBuffer).set(features, m.outOffset as number);
  } else if (m.kind === 'knnTrain') {
    // One wasm thread per worker: the workers are the parallelism here (a worker's process.env is its own copy).
    process.env.TFJS_WASM_THREADS = '1';
    await initBackend('wasm');
    const numTrain = m.numTrain as number;
    const X = tf.tensor2d(new Float32Array(m.train as SharedArrayBuffer), [numTrain, m.dim as number]);
    knn = new KNearestNeighbor();
    // The kNN's own train (memorising the rows), not tf.train.
    knn.train(X, new Int32Array(numTrain));
    X.dispose();
  } else if (m.kind === 'knnDists') {
    if (knn === null) throw new Error('parallel worker: knnDists before knnTrain');
    const { rowOffset, count, dim } = m as unknown as { rowOffset: number; count: number; dim: number };
    const X = tf.tensor2d(new Float32Array(m.test as SharedArrayBuffer, rowOffset * dim * 4, count * dim), [count, dim]);
    const d = knn.computeDistancesNoLoops(X);
    const out = new Float32Array(m.out as SharedArrayBuffer);
    out.set(d.dataSync(), rowOffset * d.shape[1]);
    tf.dispose([X, d]);
  }
}

parentPort?.on('message', (m: Message) => {
  handle(m).then(
    () => parentPort?.postMessage({ id: m.id }),
    (err: unknown) => parentPort?.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
