/**
 * Checks of A2 Q5 (NetworkVisualization), on a small convnet whose input gradients come from autodiff
 * (reference/), so that these checks use none of the learner's layers: saliency maps against the autodiff input
 * gradient; fooling images and class visualisations step for step against the course's loops written out in
 * reference/vis_loops.ts (deterministic given the model, the images and the Rng).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/random';
import { inputGradientRef, threeLayerConvNetScoresRef } from '../../reference/vis';
import { classVisualizationRef, foolingRef } from '../../reference/vis_loops';
import { InputGradientModel, computeSaliencyMaps } from '../../src/vis/saliency';
import { makeFoolingImages } from '../../src/vis/fooling';
import { createClassVisualization } from '../../src/vis/class_visualization';
import { suspectHint } from '../hints';
import { CheckProblem, FORWARD_BOUND, MODEL_BOUND, SEED, call, expectClose } from './common';

/** A three-layer convnet [6, 6, 3] -> 5 classes, seen through inputGradient only; dispose() frees its weights. */
function tinyConvNet(): InputGradientModel & { scores: (X: tf.Tensor) => tf.Tensor; dispose(): void } {
  const rng = new Rng(SEED + 2);
  const params: Record<string, tf.Tensor> = {
    W1: rng.randn([3, 3, 3, 4], 0.3),
    b1: rng.randn([4], 0.1),
    W2: rng.randn([36, 8], 0.3),
    b2: rng.randn([8], 0.1),
    W3: rng.randn([8, 5], 0.3),
    b3: rng.randn([5], 0.1),
  };
  const scores = (X: tf.Tensor): tf.Tensor => threeLayerConvNetScoresRef(params, X);
  return {
    scores,
    inputGradient: (X, dscores) =>
      tf.tidy(() => {
        const s = scores(X) as tf.Tensor2D;
        return { scores: s, dX: inputGradientRef(scores, X, dscores(s)) as tf.Tensor4D };
      }),
    dispose: () => tf.dispose(Object.values(params)),
  };
}

function saliency(): void {
  const rng = new Rng(SEED);
  const model = tinyConvNet();
  const X = rng.randn([3, 6, 6, 3], 10) as tf.Tensor4D;
  const y = tf.tensor1d([0, 3, 4], 'int32');
  try {
    const got = call('computeSaliencyMaps', { X, y }, () => computeSaliencyMaps(model, X, y));
    tf.tidy(() => {
      const dX = inputGradientRef(model.scores, X, tf.oneHot(y, 5));
      const want = tf.max(tf.abs(dX), 3);
      const suspects = [
        { says: 'the max over the channels of the gradient itself; the saliency is the max of its absolute value', value: () => tf.max(dX, 3) },
        { says: 'the sum of the absolute gradient over the channels; the saliency takes their max', value: () => tf.sum(tf.abs(dX), 3) },
      ];
      expectClose('saliency', got, want, FORWARD_BOUND, 'autodiff reference', (g) => suspectHint(g, suspects));
    });
    if (got instanceof tf.Tensor) got.dispose();
  } finally {
    model.dispose();
    tf.dispose([X, y]);
  }
}

function fooling(): void {
  const rng = new Rng(SEED);
  const model = tinyConvNet();
  const X = rng.randn([2, 6, 6, 3], 10) as tf.Tensor4D;
  try {
    const target = [2, 4];
    const options = { maxIters: 20, learningRate: 1 };
    const got = call('makeFoolingImages', { X }, () => makeFoolingImages(model, X, target, options));
    if (got === null || typeof got !== 'object') throw new CheckProblem(`makeFoolingImages returned ${String(got)}; expected { XFooling, fooled, iterations, ... }`);
    try {
      tf.tidy(() => {
        const want = foolingRef(model.scores, X, target, options);
        // The usual mistakes, run through the course's loop: a hint is said when the learner's images are theirs.
        const suspects = [
          { says: 'steps that descend the target score; fooling ascends it (add the step)', run: () => foolingRef(model.scores, X, target, { ...options, learningRate: -options.learningRate }) },
          { says: 'no stopping test: keep stepping an image only while the model does not predict its target', run: () => foolingRef(model.scores, X, target, { ...options, stopAtTarget: false }) },
        ];
        const hint = (g: tf.Tensor) => suspectHint(g, suspects.map((su) => ({ says: su.says, value: () => su.run().XFooling })), MODEL_BOUND);
        if (String(got.iterations) !== String(want.iterations)) {
          const why = got.XFooling instanceof tf.Tensor && got.XFooling.shape.join() === want.XFooling.shape.join() ? hint(got.XFooling) : undefined;
          throw new CheckProblem(`iterations: [${got.iterations}], expected [${want.iterations}] with maxIters ${options.maxIters}${why ? `; hint: ${why}` : ''}`);
        }
        expectClose('XFooling', got.XFooling, want.XFooling, MODEL_BOUND, "the course's loop", hint);
        if (String(got.fooled) !== String(want.fooled)) throw new CheckProblem(`fooled: [${got.fooled}], expected [${want.fooled}]`);
      });
    } finally {
      if (got.XFooling instanceof tf.Tensor) got.XFooling.dispose();
    }
  } finally {
    model.dispose();
    X.dispose();
  }
}

function classVisualization(): void {
  const model = tinyConvNet();
  const mean = tf.fill([6, 6, 3], 120) as tf.Tensor3D;
  try {
    const target = [1, 3];
    const options = { l2Reg: 1e-3, learningRate: 20, numIterations: 12, blurEvery: 5, blurSigma: 0.5, maxJitter: 2, initStd: 30 };
    const got = call('createClassVisualization', { meanImage: mean }, () => createClassVisualization(model, target, mean, new Rng(SEED), options));
    tf.tidy(() => {
      const want = classVisualizationRef(model.scores, target, mean, new Rng(SEED), options);
      // The regulariser's sign flipped (ascending score + l2Reg ||I||^2) is the course's loop with -l2Reg.
      const flipped = () => classVisualizationRef(model.scores, target, mean, new Rng(SEED), { ...options, l2Reg: -options.l2Reg });
      expectClose('X', got, want, MODEL_BOUND, "the course's loop", (g) => suspectHint(g, [{ says: "a step that ascends score + l2Reg ||I||^2; the L2 term is subtracted (it pulls the image towards 0)", value: flipped }], MODEL_BOUND));
    });
    if (got instanceof tf.Tensor) got.dispose();
  } finally {
    model.dispose();
    mean.dispose();
  }
}

export const CHECKS: Record<string, () => void> = {
  compute_saliency_maps: saliency,
  make_fooling_image: fooling,
  class_visualization_update: classVisualization,
};
