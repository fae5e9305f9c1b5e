/**
 * Training steps of the nets `npm run train` trains, each timed against the backend's own large matrix product in
 * the same process: the step's rate as a fraction of what the backend reaches on one plain kernel, a figure that
 * shared or differing machines move far less than the times themselves (docs/performance.md).
 *
 * A step is one Solver.step(): the minibatch gather from the training array, the model's forward and hand-written
 * backward pass, and the update rule on every parameter. A new net's step is one more NetStepSpec: its model, its
 * update rule and the list of its convolutions and products for the FLOP count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Model } from '../src/model';
import { ResNet } from '../src/classifiers/resnet';
import { Airbench } from '../src/classifiers/airbench';
import { Solver, SolverOptions } from '../src/solver';
import { Rng } from '../src/random';
import { Prepared, SetupContext, Workload, randomLabels, scaled } from './harness';
import { matmulCeiling } from './peak_workloads';

/** One convolution of a net: input H x W, C -> F channels, k x k filter, output H x W (stride 1, 'same'). */
export interface ConvLayer {
  H: number;
  W: number;
  C: number;
  F: number;
  k: number;
}

/**
 * FLOPs of one image's training step as the peers compute them, 2 per multiply-add: every convolution three times
 * (forward, input gradient, filter gradient; the first layer's input gradient, which the library skips, is
 * counted because the peers compute it) and the products of the affine layers [D, M] three times as well.
 */
export function stepFlopPerImage(convs: ConvLayer[], affines: Array<[number, number]>): number {
  let macs = 0;
  for (const c of convs) macs += c.H * c.W * c.k * c.k * c.C * c.F;
  for (const [d, m] of affines) macs += d * m;
  return 3 * 2 * macs;
}

/** The step of one net: what it is, how to build it, how to count its work. */
export interface NetStepSpec {
  name: string;
  what: string;
  batchSize: number;
  runs: number;
  /** [H, W, C] of one image. */
  inputDim: [number, number, number];
  makeModel: (seed: number) => Model;
  solver: Pick<SolverOptions, 'updateRule' | 'optimConfig' | 'optimConfigFor'>;
  flopPerImage: number;
}

/** ResNet-9 (src/classifiers/resnet.ts) at width w on 32 x 32 x 3 images: its nine 3x3 'same' convolutions. */
export function resnetConvs(w: number): ConvLayer[] {
  const conv = (H: number, C: number, F: number): ConvLayer => ({ H, W: H, C, F, k: 3 });
  return [conv(32, 3, w), conv(32, w, 2 * w), conv(16, 2 * w, 2 * w), conv(16, 2 * w, 2 * w), conv(16, 2 * w, 4 * w), conv(8, 4 * w, 8 * w), conv(4, 8 * w, 8 * w), conv(4, 8 * w, 8 * w)];
}

/** `npm run train --model resnet`'s net and update rule: width 16, batch 256, SGD with momentum. */
export const RESNET_STEP: NetStepSpec = {
  name: 'resnet.step',
  what: 'ResNet-9 width 16 + one Solver.step, batch 256, sgd_momentum lr 0.05',
  batchSize: 256,
  runs: 7,
  inputDim: [32, 32, 3],
  makeModel: (seed) => new ResNet({ width: 16, seed }),
  solver: { updateRule: 'sgd_momentum', optimConfig: { learningRate: 0.05, momentum: 0.9 } },
  flopPerImage: stepFlopPerImage(resnetConvs(16), [[128, 10]]),
};

/**
 * airbench (src/classifiers/airbench.ts) at the given widths on 32 x 32 x 3 images: the frozen 2x2 whitening
 * convolution (31 x 31 out, 24 filters; only its forward pass runs, 0.5% of the count), then per group a 3x3 conv
 * at the group's input size and one after the 2x2 max pool.
 */
export function airbenchConvs(widths: readonly number[]): ConvLayer[] {
  const layers: ConvLayer[] = [{ H: 31, W: 31, C: 3, F: 24, k: 2 }];
  let h = 31;
  let cin = 24;
  for (const w of widths) {
    layers.push({ H: h, W: h, C: cin, F: w, k: 3 });
    h = Math.floor(h / 2);
    layers.push({ H: h, W: h, C: w, F: w, k: 3 });
    cin = w;
  }
  return layers;
}

/**
 * `npm run train`'s default net and update rule: airbench93's widths 64/128/128, batch 256, Nesterov SGD with
 * lookahead at the recipe's rates scaled to the batch (1.5 per 1024 examples), batchnorm biases at 64x.
 */
export const AIRBENCH_STEP: NetStepSpec = {
  name: 'airbench.step',
  what: 'airbench93 (widths 64/128/128) + one Solver.step, batch 256, sgd_nesterov_lookahead lr 0.375',
  batchSize: 256,
  runs: 7,
  inputDim: [32, 32, 3],
  makeModel: (seed) => new Airbench({ widths: [64, 128, 128], seed }),
  solver: {
    updateRule: 'sgd_nesterov_lookahead',
    optimConfig: { learningRate: 0.375, momentum: 0.85, weightDecay: 0.00887, lookaheadEvery: 5, lookaheadSteps: 1000 },
    optimConfigFor: (name: string): Record<string, number> => (name.startsWith('beta') ? { lrScale: 64 } : {}),
  },
  flopPerImage: stepFlopPerImage(airbenchConvs([64, 128, 128]), [[128, 10]]),
};

/**
 * One Solver.step of the spec's net on seeded N(0, 1) images (twice the batch, sampled with replacement), timed
 * in alternation with the 2048^3 matMul of peak_workloads.ts: the result line carries both rates and their ratio.
 */
export function netStep(spec: NetStepSpec): Workload {
  return {
    name: spec.name,
    runs: spec.runs,
    what: spec.what,
    setup({ rng, scale }: SetupContext): Prepared {
      const n = scaled(spec.batchSize, scale);
      const XTrain = rng.randn([2 * n, ...spec.inputDim]);
      const yTrain = tf.tensor1d(randomLabels(rng, 2 * n), 'int32');
      const data = { XTrain, yTrain, XVal: tf.slice(XTrain, 0, 1), yVal: tf.slice(yTrain, 0, 1) as tf.Tensor1D };
      const model = spec.makeModel(new Rng(rng.nextUint32()).nextUint32());
      const solver = new Solver(model, data, { ...spec.solver, batchSize: n, numEpochs: 1, verbose: false, seed: 0 });
      const ceiling = matmulCeiling(rng, scale);
      const last = Object.keys(model.params).slice(-1)[0];
      return {
        run: () => {
          solver.step();
          return tf.clone(model.params[last]);
        },
        flop: n * spec.flopPerImage,
        ceiling,
        dispose: () => {
          solver.dispose();
          model.dispose?.();
          tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal]);
          ceiling.dispose();
        },
      };
    },
  };
}

export const resnetStep = (): Workload => netStep(RESNET_STEP);
export const airbenchStep = (): Workload => netStep(AIRBENCH_STEP);
