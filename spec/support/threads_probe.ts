/**
 * Run by spec/wasm_threads.spec.ts in a child process (one wasm module per process): starts the default backend
 * (wasm, with TFJS_WASM_THREADS threads), runs matMul, conv2d and its input gradient on seeded data big enough
 * for XNNPACK to split, then 4 Solver steps (Adam) of a small ThreeLayerConvNet with spatial batchnorm; prints
 * one JSON line: the thread count, the results' bytes as hex digests, and the losses.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend';
import { activeWasmThreads } from '../../runtime/wasm_threads';
import { Rng } from '../../src/random';
import { ThreeLayerConvNet } from '../../src/classifiers/cnn';
import { Solver } from '../../src/solver';

function digest(t: tf.Tensor): string {
  const data = t.dataSync() as Float32Array;
  return createHash('sha256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const rng = new Rng(7);
  const a = rng.randn([96, 300], 1) as tf.Tensor2D;
  const b = rng.randn([300, 200], 1) as tf.Tensor2D;
  const x = rng.randn([8, 16, 16, 3], 1) as tf.Tensor4D;
  const w = rng.randn([5, 5, 3, 16], 0.1) as tf.Tensor4D;
  const out = {
    backend,
    threads: activeWasmThreads(),
    matMul: digest(tf.matMul(a, b)),
    conv2d: digest(tf.conv2d(x, w, 1, 'same')),
    conv2dTranspose: digest(tf.conv2dTranspose(tf.conv2d(x, w, 1, 'same'), w, [8, 16, 16, 3], 1, 'same')),
    losses: [] as number[],
    weights: '',
  };
  const XTrain = rng.randn([64, 16, 16, 3], 1);
  const yTrain = tf.tensor1d(Int32Array.from({ length: 64 }, (_, i) => i % 10), 'int32');
  const model = new ThreeLayerConvNet({ inputDim: [16, 16, 3], numFilters: 16, filterSize: 5, hiddenDim: 32, batchnorm: true, weightScale: 1e-2, seed: 3 });
  const solver = new Solver(model, { XTrain, yTrain, XVal: XTrain, yVal: yTrain }, { updateRule: 'adam', batchSize: 16, verbose: false, seed: 5 });
  for (let i = 0; i < 4; i++) out.losses.push(solver.step());
  out.weights = digest(model.params.W1);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main();
