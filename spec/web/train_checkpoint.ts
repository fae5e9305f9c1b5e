/**
 * Checkpoints as `npm run train` writes them (scripts/train.ts's per-epoch hook through runtime/checkpoint.ts's
 * saveCheckpoint): the model's kind and options, its parameters and state, the best copy and the update rule's
 * state, for specs that load them into the page (model_file.spec.ts, e2e.spec.ts) without a training run.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Airbench } from '../../src/classifiers/airbench';
import type { ResNet } from '../../src/classifiers/resnet';
import { saveCheckpoint, type CheckpointContents } from '../../runtime/checkpoint';

/** Seeded images [n, 32, 32, 3] about the size of mean-subtracted pixels, and labels 0, 1, 2, ... */
export function seededBatch(n: number, seed: number): { X: tf.Tensor4D; y: tf.Tensor1D } {
  return {
    X: tf.randomNormal([n, 32, 32, 3], 0, 60, 'float32', seed) as tf.Tensor4D,
    y: tf.tensor1d(Array.from({ length: n }, (_, i) => i % 10), 'int32'),
  };
}

/** The model after one training pass on four seeded images: its batchnorm running statistics exist, as in any checkpoint of train. */
export function trained<M extends Airbench | ResNet>(model: M): M {
  const { X, y } = seededBatch(4, 1);
  tf.tidy(() => {
    model.loss(X, y);
  });
  tf.dispose([X, y]);
  return model;
}

/** train's checkpoint contents for a model at epoch 3 (the optimizer's velocities are new tensors: writeCheckpoint frees them). */
export function trainContents(model: Airbench | ResNet): CheckpointContents {
  const velocity = Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, { learningRate: 0.01, momentum: 0.9, velocity: tf.zerosLike(v) }]));
  return {
    model: { kind: model.kind, options: { ...model.options } },
    run: { id: 'spec-run', script: 'train' },
    params: model.params,
    modelState: model.state(),
    bestParams: model.params,
    bestState: model.state(),
    optimizer: { updateRule: 'sgd_momentum', configs: velocity },
    epoch: 3,
    iteration: 120,
    solver: null,
    lossHistory: [2.3, 1.9],
    trainAccHistory: [0.3, 0.5],
    valAccHistory: [0.28, 0.47],
    bestValAcc: 0.47,
  };
}

/** Writes contents at `base` (`<base>.json` and `<base>.<sha>.bin`), frees the optimizer's tensors, returns the two paths. */
export function writeCheckpoint(base: string, contents: CheckpointContents): { manifestPath: string; weightsPath: string } {
  const paths = saveCheckpoint(base, contents);
  for (const config of Object.values(contents.optimizer?.configs ?? {})) tf.dispose(Object.values(config).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  return paths;
}
