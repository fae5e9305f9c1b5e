/**
 * `--parallel`: prototypes that split the two embarrassingly parallel workloads over the machine's cores with
 * worker_threads, each worker on one wasm thread. For kNN they measure what splitting by hand adds over the
 * threaded wasm build (runtime/wasm_threads.ts), which already splits kNN's one matrix product by itself. For features.extract,
 * plain JavaScript with no tensors, workers remain the only way to use a second core. The main
 * thread does the first share itself and each worker one more; every share runs the library's own code
 * (extractFeatures, KNearestNeighbor.computeDistancesNoLoops), inputs and outputs sit in SharedArrayBuffers.
 * Workers are started in set-up, untimed, as a thread pool would be; a timed run includes handing out the
 * work, waiting for it and, for kNN, each thread's read-back of its distances into the shared matrix.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { KNearestNeighbor } from '../src/classifiers/knn';
import { extractFeatures } from '../src/features/extract';
import { hogFeature, hogFeatureLength } from '../src/features/hog';
import { colorHistogramHsv } from '../src/features/color_histogram';
import { Prepared, SetupContext, Workload, scaled } from './harness';

const IMAGE_SIZE = 32 * 32 * 3;
const FEATURE_DIM = hogFeatureLength(32, 32) + 10;
const DIM = 3072;

/** Threads to use: one per core. */
export function threadCount(): number {
  return Math.max(1, os.cpus().length);
}

/** Worker threads running parallel_worker.ts, each answering one message at a time. */
class WorkerPool {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(size: number) {
    const file = path.join(__dirname, 'parallel_worker.ts');
    // Workers do not inherit tsx's hooks: register them before loading the TypeScript file.
    const bootstrap = `require('tsx/cjs'); require(${JSON.stringify(file)});`;
    this.workers = Array.from({ length: size }, () => {
      const w = new Worker(bootstrap, { eval: true });
      w.on('message', (reply: { id: number; error?: string }) => {
        const p = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (reply.error !== undefined) p?.reject(new Error(`parallel worker: ${reply.error}`));
        else p?.resolve();
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      return w;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends worker i a message; resolves when it has finished. */
  call(i: number, message: Record<string, unknown>): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[i].postMessage({ ...message, id });
    });
  }

  terminate(): void {
    for (const w of this.workers) void w.terminate();
  }
}

/** Splits n rows into `parts` contiguous shares: [start, count] each. */
function shares(n: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const count = Math.floor(n / parts) + (p < n % parts ? 1 : 0);
    out.push([start, count]);
    start += count;
  }
  return out;
}

/** features.extract.parallel: features.extract split over threadCount() threads. */
export function featuresExtractParallel(threads = threadCount()): Workload {
  return {
    name: 'features.extract.parallel',
    runs: 3,
    what: `extractFeatures(images, [hogFeature, colorHistogramHsv]) over ${threads} threads (main + worker_threads), 1000 images`,
    setup({ rng, scale }: SetupContext): Prepared {
      const n = scaled(1000, scale);
      const imageBuffer = new SharedArrayBuffer(n * IMAGE_SIZE);
      const images = new Uint8Array(imageBuffer);
      for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
      const outBuffer = new SharedArrayBuffer(n * FEATURE_DIM * 4);
      const out = new Float32Array(outBuffer);
      const pool = new WorkerPool(threads - 1);
      const parts = shares(n, threads);
      return {
        run: async () => {
          const done = parts.slice(1).map(([start, count], w) =>
            pool.call(w, { kind: 'features', images: imageBuffer, imageOffset: start, count, out: outBuffer, outOffset: start * FEATURE_DIM }),
          );
          const [, count0] = parts[0];
          out.set(extractFeatures(images.subarray(0, count0 * IMAGE_SIZE), [hogFeature, colorHistogramHsv]), 0);
          await Promise.all(done);
          return out[out.length - 1];
        },
        dispose: () => pool.terminate(),
      };
    },
  };
}

/** knn.dists.parallel: knn.dists with the test rows split over threadCount() threads, each with its own wasm. */
export function knnDistsParallel(threads = threadCount()): Workload {
  return {
    name: 'knn.dists.parallel',
    runs: 5,
    what: `KNearestNeighbor.computeDistancesNoLoops over ${threads} threads (main + worker_threads, one wasm instance each)`,
    setup({ rng, scale }: SetupContext): Prepared {
      const numTrain = scaled(5000, scale);
      const numTest = scaled(500, scale);
      const trainBuffer = new SharedArrayBuffer(numTrain * DIM * 4);
      const testBuffer = new SharedArrayBuffer(numTest * DIM * 4);
      const train = new Float32Array(trainBuffer);
      const test = new Float32Array(testBuffer);
      for (let i = 0; i < train.length; i++) train[i] = rng.int(256);
      for (let i = 0; i < test.length; i++) test[i] = rng.int(256);
      const outBuffer = new SharedArrayBuffer(numTest * numTrain * 4);
      const out = new Float32Array(outBuffer);
      const Xtr = tf.tensor2d(train, [numTrain, DIM]);
      const knn = new KNearestNeighbor();
      // The kNN's own train (memorising the rows), not tf.train.
      knn.train(Xtr, new Int32Array(numTrain));
      Xtr.dispose();
      const pool = new WorkerPool(threads - 1);
      const trained = Promise.all(Array.from({ length: pool.size }, (_, w) => pool.call(w, { kind: 'knnTrain', train: trainBuffer, numTrain, dim: DIM })));
      const parts = shares(numTest, threads);
      let ready = false;
      return {
        run: async () => {
          if (!ready) {
            await trained;
            ready = true;
          }
          const done = parts.slice(1).map(([rowOffset, count], w) => pool.call(w, { kind: 'knnDists', test: testBuffer, rowOffset, count, dim: DIM, out: outBuffer }));
          const [, count0] = parts[0];
          const X = tf.tensor2d(test.subarray(0, count0 * DIM), [count0, DIM]);
          const d = knn.computeDistancesNoLoops(X);
          out.set(d.dataSync(), 0);
          tf.dispose([X, d]);
          await Promise.all(done);
          return out[out.length - 1];
        },
        flop: 2 * numTest * numTrain * DIM,
        dispose: () => {
          knn.dispose();
          pool.terminate();
        },
      };
    },
  };
}
