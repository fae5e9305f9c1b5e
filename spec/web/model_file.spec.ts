/**
 * Loading `npm run train`'s model into the page (web/model_file.ts, then web/explore_model.ts in the worker),
 * without a browser: checkpoints written by the scripts' own saveCheckpoint, as train's per-epoch hook writes them
 * (parameters, state, the best copy and the update rule's state), read back as the page reads the two files a
 * learner picks. A good one becomes a model whose test-mode scores are the saved model's; each bad one (a wrong
 * shape, a missing state tensor, a NaN, widths too large, a kind the page does not run) is one line naming the file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Airbench } from '../../src/classifiers/airbench';
import { ResNet } from '../../src/classifiers/resnet';
import type { CheckpointContents } from '../../runtime/checkpoint';
import { buildExploreModel } from '../../web/explore_model';
import { MAX_EXPLORE_AIRBENCH_WIDTH, readModelFiles, type ModelFileResult } from '../../web/model_file';
import { MODELS } from '../../web/models';
import type { ExploreSnapshot } from '../../web/protocol';
import { Trainer } from '../../web/trainer';
import { syntheticPageData } from './synthetic_cifar';
import { seededBatch, trainContents as contentsOf, trained, writeCheckpoint } from './train_checkpoint';
import { useBackend } from '../support/backend';

let dir: string;
beforeAll(async () => {
  await useBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-file-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let saved = 0;

/** Saves contents as `<name>.json` and its `.bin`, and reads both back as the page's file picker gives them. */
async function saveAndRead(name: string, contents: CheckpointContents): Promise<ModelFileResult> {
  const base = path.join(dir, `${saved++}`, name);
  const { manifestPath, weightsPath } = writeCheckpoint(base, contents);
  const file = (p: string) => new File([fs.readFileSync(p)], path.basename(p));
  return readModelFiles([file(manifestPath), file(weightsPath)]);
}

function explored(r: ModelFileResult): ExploreSnapshot {
  if (!('explore' in r)) throw new Error(`expected a model to explore, got ${JSON.stringify('refusal' in r ? r.refusal : 'a page model')}`);
  return r.explore;
}

function refusal(r: ModelFileResult): string {
  if (!('refusal' in r)) throw new Error('expected a refusal, the file was accepted');
  return r.refusal;
}

/** The model's test-mode scores on seeded images, as plain numbers. */
function scores(model: { loss(X: tf.Tensor): tf.Tensor2D }): Float32Array {
  const { X, y } = seededBatch(4, 7);
  const s = model.loss(X);
  const out = s.dataSync() as Float32Array;
  tf.dispose([X, y, s]);
  return out;
}

describe("model_file: npm run train's model loads to explore", () => {
  it("an Airbench checkpoint: every parameter and state tensor read, rebuilt with the saved model's test-mode scores, no tensor left behind", async () => {
    const model = trained(new Airbench({ widths: [2, 3, 3], seed: 5 }));
    const snap = explored(await saveAndRead('ckpt_epoch_3', contentsOf(model)));
    expect(snap.kind).toBe('Airbench');
    expect(Object.keys(snap.params).sort()).toEqual(Object.keys(model.params).sort());
    expect(Object.keys(snap.state).sort()).toEqual(Object.keys(model.state()).sort());
    expect(snap.state.whitenW.shape).toEqual([2, 2, 3, 24]);
    expect(snap.description).toBe('Airbench, widths 2/3/3, trained by npm run train (epoch 3, validation accuracy 0.470)');

    const before = tf.memory().numTensors;
    const built = buildExploreModel(snap);
    expect(built.tiles).toMatchObject({ count: 24, h: 2, w: 2 });
    // A fresh Airbench of another seed scores differently; the loaded one matches the saved one (params and state).
    const fresh = trained(new Airbench({ widths: [2, 3, 3], seed: 6 }));
    expect(Array.from(scores(fresh))).not.toEqual(Array.from(scores(model)));
    fresh.dispose();
    const want = scores(model);
    const got = scores(built.model);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    built.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it("as the worker runs it: the accuracy check and confusion in test mode leave the running statistics alone, and replacing it frees every tensor", async () => {
    const model = trained(new Airbench({ widths: [2, 3, 3], seed: 5 }));
    const snap = explored(await saveAndRead('ckpt_epoch_3', contentsOf(model)));
    model.dispose();
    const data = syntheticPageData(60);
    const before = tf.memory().numTensors;
    const built = buildExploreModel(snap);
    const mean1 = () => Array.from((built.model as Airbench).bnParams[0].runningMean!.dataSync());
    const start = mean1();
    // worker.ts's explore(): a Trainer whose Solver never steps, one accuracy check run to the end.
    const trainer = new Trainer(() => built.model, data, MODELS.convnet.defaults, 0, 25);
    trainer.startCheck();
    while (!trainer.checkChunk());
    expect(trainer.checks).toHaveLength(1);
    expect(trainer.checks[0].confusion.flat().reduce((a, b) => a + b, 0)).toBe(trainer.evalSizes.val);
    expect(mean1()).toEqual(start);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal]);
  });

  it('a ResNet checkpoint loads the same way (gamma, beta, running statistics of all eight conv layers)', async () => {
    const model = trained(new ResNet({ width: 2, seed: 3 }));
    const snap = explored(await saveAndRead('ckpt_epoch_3', contentsOf(model)));
    expect(Object.keys(snap.state)).toHaveLength(16);
    expect(snap.description).toContain('ResNet, width 2');
    const before = tf.memory().numTensors;
    const built = buildExploreModel(snap);
    const want = scores(model);
    const got = scores(built.model);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    built.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('model_file: a bad checkpoint of train is refused in one line naming the file', () => {
  let model: Airbench;
  beforeAll(() => {
    model = trained(new Airbench({ widths: [2, 3, 3], seed: 5 }));
  });
  afterAll(() => model.dispose());

  it('a parameter of the wrong shape', async () => {
    const c = contentsOf(model);
    const W1 = tf.zeros([3, 3, 2, 24]);
    const line = refusal(await saveAndRead('ckpt_epoch_3', { ...c, params: { ...c.params, W1 } }));
    W1.dispose();
    expect(line).toBe('Cannot load the model: W1 is [3,3,2,24] in ckpt_epoch_3.json; this Airbench needs [3,3,24,2]');
  });

  it('a missing state tensor (the running statistics test mode needs)', async () => {
    const c = contentsOf(model);
    const { runningVar6: _dropped, ...state } = c.modelState;
    const line = refusal(await saveAndRead('ckpt_epoch_3', { ...c, modelState: state, bestState: state }));
    expect(line).toMatch(/^Cannot load the model: ckpt_epoch_3\.json's state tensors are whitenW, .*; an Airbench has .* \(missing: runningVar6\)$/);
  });

  it('a state tensor of the wrong shape (the whitening filters)', async () => {
    const c = contentsOf(model);
    const whitenW = tf.zeros([2, 2, 3, 12]);
    const line = refusal(await saveAndRead('ckpt_epoch_3', { ...c, modelState: { ...c.modelState, whitenW } }));
    whitenW.dispose();
    expect(line).toBe('Cannot load the model: whitenW is [2,2,3,12] in ckpt_epoch_3.json; this Airbench needs [2,2,3,24]');
  });

  it('a NaN in a parameter, and in a state tensor', async () => {
    const c = contentsOf(model);
    const W7 = tf.tensor2d([NaN, ...new Array<number>(29).fill(0)], [3, 10]);
    expect(refusal(await saveAndRead('ckpt_epoch_3', { ...c, params: { ...c.params, W7 } }))).toBe(
      'Cannot load the model: W7 holds NaN at entry 0: parameters must be finite',
    );
    W7.dispose();
    const c2 = contentsOf(model);
    const runningVar2 = tf.tensor1d([1, Infinity]);
    expect(refusal(await saveAndRead('ckpt_epoch_3', { ...c2, modelState: { ...c2.modelState, runningVar2 } }))).toBe(
      'Cannot load the model: runningVar2 holds Infinity at entry 1: state tensors must be finite',
    );
    runningVar2.dispose();
  });

  it('widths past what the page loads, before any weight is read', async () => {
    const c = contentsOf(model);
    const wide = MAX_EXPLORE_AIRBENCH_WIDTH + 1;
    const line = refusal(await saveAndRead('ckpt_epoch_3', { ...c, model: { kind: 'Airbench', options: { ...model.options, widths: [2, 3, wide] } } }));
    expect(line).toBe(
      `Cannot load the model: ckpt_epoch_3.json holds an Airbench the page cannot run: its widths are [2,3,${wide}]; the page loads three integers from 1 to ${MAX_EXPLORE_AIRBENCH_WIDTH}`,
    );
  });

  it('images or classes that are not CIFAR-10', async () => {
    const c = contentsOf(model);
    const line = refusal(await saveAndRead('ckpt_epoch_3', { ...c, model: { kind: 'Airbench', options: { ...model.options, numClasses: 100 } } }));
    expect(line).toBe('Cannot load the model: ckpt_epoch_3.json holds an Airbench the page cannot run: it has 100 classes, and CIFAR-10 has 10');
  });

  it('another kind of the scripts (the plain ConvNet of train --model convnet)', async () => {
    const c = contentsOf(model);
    const line = refusal(await saveAndRead('ckpt_epoch_3', { ...c, model: { kind: 'ConvNet', options: {} } }));
    expect(line).toBe(
      'Cannot load the model: ckpt_epoch_3.json holds a ConvNet; the page runs SoftmaxModel, TwoLayerNet, ThreeLayerConvNet and explores Airbench, ResNet (from npm run train)',
    );
  });
});
