/**
 * Assignment 2's workloads (and assignment 1's two-layer net): training epochs and a convnet step, each driven by
 * the library's Solver (src/solver.ts) on a library model, so that minibatch sampling (a gather from the whole
 * training array), the hand-written forward and backward passes and the update rule are all the library's.
 *
 * An epoch is Solver.step() called iterationsPerEpoch times, which is what Solver.train() does between its
 * accuracy checks; the checks themselves (a forward pass over 1,000 training and all validation examples after
 * the first step and at the end of the epoch) are left out, as the peers have none.
 *
 * With `autodiff`, the same model, data and Solver run with gradients from tf.valueAndGrads of the model's
 * reference twin instead of the hand-written backward pass (autodiff_models.ts); the result is named
 * `<name>.autodiff`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FullyConnectedNet } from '../src/classifiers/fc_net';
import { ThreeLayerConvNet } from '../src/classifiers/cnn';
import { TwoLayerNet } from '../src/classifiers/two_layer_net';
import { Model } from '../src/model';
import { Solver, SolverData, SolverOptions } from '../src/solver';
import { Rng } from '../src/random';
import { Prepared, SetupContext, Workload, randomLabels, scaled } from './harness';

/**
 * Epoch data shared by the variants of a workload run in one process (hand-written and autodiff), keyed by seed
 * and shape: building 49000 x 3072 normals twice would double the set-up time, and the second copy's transient
 * (the JS array beside its copy in the wasm heap) would count against the autodiff line's memory. Kept until the
 * process ends.
 */
const sharedEpochData = new Map<string, SolverData>();

function epochData(seed: number, n: number, shape: number[]): SolverData {
  const key = `${seed}:${n}:${shape.join('x')}`;
  let data = sharedEpochData.get(key);
  if (data === undefined) {
    data = solverData(new Rng(seed), n, shape);
    for (const t of Object.values(data)) tf.keep(t);
    sharedEpochData.set(key, data);
  }
  return data;
}

/** Seeded training data: X [n, ...shape] from N(0, 1), y [n] labels; a 10-row validation set the steps never read. */
function solverData(rng: Rng, n: number, shape: number[]): SolverData {
  const XTrain = rng.randn([n, ...shape]);
  const yTrain = tf.tensor1d(randomLabels(rng, n), 'int32');
  const numVal = Math.min(10, n);
  return { XTrain, yTrain, XVal: tf.slice(XTrain, 0, numVal), yVal: tf.slice(yTrain, 0, numVal) as tf.Tensor1D };
}

/**
 * The autodiff wrappers, loaded on first use: they register every tfjs gradient function, which doubles the
 * start-up time of a run that never differentiates anything.
 */
function autodiffModels(): typeof import('./autodiff_models') {
  return require('./autodiff_models');
}

/** The bench-only wasm filter-gradient kernel, loaded only when that variant runs. */
function wasmFilterGradient(): typeof import('./wasm_filter_gradient') {
  return require('./wasm_filter_gradient');
}

function disposeData(d: SolverData): void {
  tf.dispose([d.XTrain, d.yTrain, d.XVal, d.yVal]);
}

/** A copy of the parameter the update rule touched last, as the run's result to read back. */
function lastParam(model: Model): tf.Tensor {
  const names = Object.keys(model.params);
  return tf.clone(model.params[names[names.length - 1]]);
}

interface EpochSpec {
  name: string;
  runs: number;
  what: string;
  batchSize: number;
  solver: Pick<SolverOptions, 'updateRule' | 'optimConfig'>;
  /** Matrix-product FLOPs of one step as the peers compute it (see docs/performance.md). */
  flopPerStep: number;
  /** A fresh hand-written model with the given initialisation seed. */
  makeModel: (seed: number) => FullyConnectedNet | TwoLayerNet;
}

/** One epoch from a fresh model (initialisation included in the run, as in the peers), X 49000 x 3072. */
function epochWorkload(spec: EpochSpec, autodiff: boolean): Workload {
  return {
    name: autodiff ? `${spec.name}.autodiff` : spec.name,
    runs: spec.runs,
    what: autodiff ? `${spec.what}; gradients by tf.valueAndGrads of fcNetLossRef` : spec.what,
    setup({ rng, scale }: SetupContext): Prepared {
      const seed = rng.nextUint32();
      const data = epochData(rng.nextUint32(), scaled(49000, scale), [3072]);
      let steps = 0;
      return {
        run: (sample) => {
          const hand = spec.makeModel(seed);
          const model: Model = autodiff ? autodiffModels().autodiffFcNet(hand) : hand;
          const solver = new Solver(model, data, { ...spec.solver, batchSize: spec.batchSize, numEpochs: 1, verbose: false, seed });
          steps = solver.iterationsPerEpoch;
          try {
            for (let i = 0; i < steps; i++) {
              solver.step();
              sample();
            }
            return lastParam(model);
          } finally {
            solver.dispose();
            model.dispose?.();
          }
        },
        get flop() {
          return steps * spec.flopPerStep;
        },
        // The data stay for the workload's other variant (see epochData).
        dispose: () => {},
      };
    },
  };
}

/*
 * FLOPs of one step, counting 2 per multiply-add in the products the peers compute. Two-layer, batch 200:
 * X W1 and dW1 = X^T dh (2 x 2*200*3072*100) plus the 100 -> 10 layer's three products (3 x 2*200*100*10).
 * Five-layer, batch 100: the first layer's forward and dW (2 x 2*100*3072*100), three 100 -> 100 layers with
 * forward, dW and dx (9 x 2*100*100*100) and the last layer's three (3 x 2*100*100*10). The library also computes
 * the input gradient of the first layer (another 2*B*3072*100), which no one needs: it is not counted.
 */
const TWOLAYER: EpochSpec = {
  name: 'twolayer.epoch',
  runs: 3,
  what: 'TwoLayerNet 3072-100-10 + Solver.step x 245, batch 200, sgd lr 1e-3',
  batchSize: 200,
  solver: { updateRule: 'sgd', optimConfig: { learningRate: 1e-3 } },
  flopPerStep: 2 * (2 * 200 * 3072 * 100) + 3 * (2 * 200 * 100 * 10),
  // reg 2e-4 gives the gradient 2e-4 W, as the peers' 2 * 1e-4 W and weight_decay 2e-4.
  makeModel: (seed) => new TwoLayerNet({ inputDim: 3072, hiddenDim: 100, numClasses: 10, weightScale: 1e-3, reg: 2e-4, seed }),
};

const FC_BN: EpochSpec = {
  name: 'fc_bn.epoch',
  runs: 3,
  what: 'FullyConnectedNet [100 x 4] batchnorm + Solver.step x 490, batch 100, adam lr 1e-3',
  batchSize: 100,
  solver: { updateRule: 'adam', optimConfig: { learningRate: 1e-3 } },
  flopPerStep: 2 * (2 * 100 * 3072 * 100) + 9 * (2 * 100 * 100 * 100) + 3 * (2 * 100 * 100 * 10),
  makeModel: (seed) =>
    new FullyConnectedNet({ hiddenDims: [100, 100, 100, 100], inputDim: 3072, numClasses: 10, normalization: 'batchnorm', weightScale: 5e-2, seed }),
};

export const twolayerEpoch = (autodiff = false): Workload => epochWorkload(TWOLAYER, autodiff);
export const fcBnEpoch = (autodiff = false): Workload => epochWorkload(FC_BN, autodiff);

/*
 * FLOPs of one convnet step, batch 50: the 7x7x3 -> 32 convolution forward, its filter gradient and its input
 * gradient (3 x 2*50*32*32*32*7*7*3; the peers compute the input gradient too), the 8192 -> 100 layer's three
 * products (3 x 2*50*8192*100) and the 100 -> 10 layer's three (3 x 2*50*100*10).
 */
const CONV3_FLOP_PER_IMAGE = 3 * (2 * 32 * 32 * 32 * 7 * 7 * 3) + 3 * (2 * 8192 * 100) + 3 * (2 * 100 * 10);

/**
 * conv3.step: one Solver.step (minibatch gather, forward, backward, Adam update) of ThreeLayerConvNet on a batch
 * of 50 images 32 x 32 x 3. Model and Adam state persist from run to run, as in the peers.
 * variant 'autodiff': gradients by tf.valueAndGrads of threeLayerConvNetLossRef (needs Conv2DBackpropFilter,
 * which wasm lacks); 'autodiff-patched': the same with wasm's missing kernel supplied (wasm_filter_gradient.ts).
 */
export function conv3Step(variant: 'hand' | 'autodiff' | 'autodiff-patched' = 'hand'): Workload {
  const names = { hand: 'conv3.step', autodiff: 'conv3.step.autodiff', 'autodiff-patched': 'conv3.step.autodiff.patched' };
  const how = {
    hand: '',
    autodiff: '; gradients by tf.valueAndGrads of threeLayerConvNetLossRef',
    'autodiff-patched': '; gradients by tf.valueAndGrads of threeLayerConvNetLossRef, with a wasm Conv2DBackpropFilter registered by the bench',
  };
  return {
    name: names[variant],
    runs: 10,
    what: `ThreeLayerConvNet (32 7x7 filters, pool, 8192-100-10) + one Solver.step, batch 50, adam lr 1e-3${how[variant]}`,
    setup({ rng, scale }: SetupContext): Prepared {
      const unregister = variant === 'autodiff-patched' ? wasmFilterGradient().registerWasmFilterGradient() : () => {};
      const n = scaled(50, scale);
      const data = solverData(rng, n, [32, 32, 3]);
      const hand = new ThreeLayerConvNet({ seed: rng.nextUint32() });
      const model: Model = variant === 'hand' ? hand : autodiffModels().autodiffConvNet(hand);
      const solver = new Solver(model, data, { updateRule: 'adam', optimConfig: { learningRate: 1e-3 }, batchSize: n, numEpochs: 1, verbose: false, seed: 0 });
      return {
        run: () => {
          solver.step();
          return lastParam(model);
        },
        flop: n * CONV3_FLOP_PER_IMAGE,
        dispose: () => {
          solver.dispose();
          model.dispose?.();
          disposeData(data);
          unregister();
        },
      };
    },
  };
}
