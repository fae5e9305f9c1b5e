import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, checkpointPaths, disposeCheckpoint, loadCheckpoint, restoreModel, saveCheckpoint } from '../src/checkpoint';
import { Solver, SolverData, SolverOptions } from '../src/solver';
import { useBackend } from './support/backend';
import { TinyNet, tinyData } from './support/tiny_net';

let dir: string;
let data: SolverData;

beforeAll(async () => {
  await useBackend();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs231n-ckpt-'));
  const train = tinyData(20, 5, 3, 7);
  const val = tinyData(12, 5, 3, 8);
  data = { XTrain: train.X, yTrain: train.y, XVal: val.X, yVal: val.y };
});

afterAll(() => {
  tf.dispose([data.XTrain, data.yTrain, data.XVal, data.yVal]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const OPTIONS: SolverOptions = { updateRule: 'adam', optimConfig: { learningRate: 2e-2 }, lrDecay: 0.9, batchSize: 5, numEpochs: 4, verbose: false, seed: 11 };

function values(params: Record<string, tf.Tensor>): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
}

/** A fresh copy of a checkpoint pair under a new name, for specs that damage it. */
function copyPair(base: string, name: string): string {
  const from = checkpointPaths(base);
  const to = path.join(dir, name);
  fs.copyFileSync(from.manifestPath, `${to}.json`);
  fs.copyFileSync(from.weightsPath, `${to}.bin`);
  return to;
}

describe('checkpoints', () => {
  let epoch2: string;
  let uninterrupted: { loss: number[]; train: number[]; val: number[]; params: Record<string, Float32Array> };

  beforeAll(() => {
    const model = new TinyNet();
    const solver = new Solver(model, data, { ...OPTIONS, checkpointName: 'tiny', checkpointDir: dir });
    solver.train();
    uninterrupted = { loss: solver.lossHistory, train: solver.trainAccHistory, val: solver.valAccHistory, params: values(model.params) };
    epoch2 = path.join(dir, 'tiny_epoch_2');
    solver.dispose();
    model.dispose();
  });

  it('are written at the end of every epoch, as a manifest and a weights file, with no temporary files left', () => {
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual([1, 2, 3, 4].flatMap((e) => [`tiny_epoch_${e}.bin`, `tiny_epoch_${e}.json`]));
    const manifest = JSON.parse(fs.readFileSync(`${epoch2}.json`, 'utf8'));
    expect(manifest).toMatchObject({ format: 'cs231n-tfjs-checkpoint', version: 1, epoch: 2, iteration: 8 });
    expect(manifest.model).toEqual({ kind: 'TinyNet', options: new TinyNet().options });
    expect(manifest.solver).toEqual({ batchSize: 5, numEpochs: 4, lrDecay: 0.9, numTrainSamples: 1000, numValSamples: null, seed: 11 });
    expect(manifest.optimizer.updateRule).toBe('adam');
    expect(manifest.optimizer.configs.W1).toMatchObject({ t: 8, m: { tensor: true }, v: { tensor: true } });
    expect(manifest.optimizer.configs.W1.learningRate).toBeCloseTo(2e-2 * 0.9 ** 2, 12);
    const w1 = manifest.tensors.find((t: { group: string; name: string }) => t.group === 'params' && t.name === 'W1');
    expect(w1).toEqual({ group: 'params', name: 'W1', shape: [5, 16], dtype: 'float32', offset: 0, bytes: 5 * 16 * 4 });
  });

  it('round-trip: a fresh model loaded from a checkpoint predicts exactly what the saved one did', () => {
    const before = tf.memory().numTensors;
    const model = new TinyNet();
    const solver = new Solver(model, data, { ...OPTIONS, numEpochs: 1 });
    for (let i = 0; i < 3; i++) solver.step();
    const base = path.join(dir, 'roundtrip', 'ckpt');
    const beforeSave = tf.memory().numTensors;
    saveCheckpoint(base, {
      model: { kind: model.kind, options: model.options },
      params: model.params,
      modelState: {},
      bestParams: {},
      optimizer: { updateRule: 'adam', configs: solver.optimConfigs },
      epoch: 0,
      iteration: 3,
      solver: null,
      lossHistory: solver.lossHistory,
      trainAccHistory: [],
      valAccHistory: [],
      bestValAcc: 0,
    });
    expect(tf.memory().numTensors).toBe(beforeSave);

    const loaded = loadCheckpoint(`${base}.json`);
    const other = new TinyNet({ seed: 99 });
    restoreModel(loaded, other, { kind: 'TinyNet' });
    const a = model.loss(data.XVal);
    const b = other.loss(data.XVal);
    expect(Float32Array.from(b.dataSync())).toEqual(Float32Array.from(a.dataSync()));
    expect(loaded.lossHistory).toEqual(solver.lossHistory);
    for (const name of Object.keys(model.params)) {
      const saved = solver.optimConfigs[name];
      const back = loaded.optimizer!.configs[name];
      expect(back.t).toBe(saved.t);
      expect(back.learningRate).toBe(saved.learningRate);
      expect(values({ m: back.m as tf.Tensor, v: back.v as tf.Tensor })).toEqual(values({ m: saved.m as tf.Tensor, v: saved.v as tf.Tensor }));
    }
    tf.dispose([a, b]);
    disposeCheckpoint(loaded);
    solver.dispose();
    model.dispose();
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resume: continuing from the epoch-2 checkpoint reproduces the uninterrupted run exactly', () => {
    const model = new TinyNet({ seed: 123 });
    const before = tf.memory().numTensors;
    const solver = Solver.resume(model, data, epoch2, { updateRule: 'adam', verbose: false });
    expect(solver.epoch).toBe(2);
    expect(solver.iteration).toBe(8);
    expect(solver.seed).toBe(11);
    expect(solver.lossHistory).toEqual(uninterrupted.loss.slice(0, 8));
    solver.train();
    expect(solver.lossHistory).toEqual(uninterrupted.loss);
    expect(solver.trainAccHistory).toEqual(uninterrupted.train);
    expect(solver.valAccHistory).toEqual(uninterrupted.val);
    expect(values(model.params)).toEqual(uninterrupted.params);
    solver.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses a checkpoint whose parameters differ from the model, naming each difference', () => {
    const loaded = loadCheckpoint(epoch2);
    const narrow = new TinyNet({ hiddenDim: 8 });
    expect(() => restoreModel(loaded, narrow)).toThrow(
      /does not match the model's parameters:\n {2}'W1' is \[5,16\] in the checkpoint but \[5,8\] in the model\n {2}'b1' is \[16\] in the checkpoint but \[8\] in the model\n {2}'W2' is \[16,3\]/,
    );
    const renamed = new TinyNet();
    renamed.params.W3 = renamed.params.W2;
    delete renamed.params.W2;
    expect(() => restoreModel(loaded, renamed)).toThrow(
      /'W3' \[16,3\] is in the model but not in the checkpoint\n {2}'W2' \[16,3\] is in the checkpoint but not in the model/,
    );
    expect(() => restoreModel(loaded, new TinyNet(), { kind: 'FullyConnectedNet' })).toThrow('holds a TinyNet, but the model is a FullyConnectedNet');
    const model = new TinyNet();
    expect(() => Solver.resume(model, data, epoch2, { updateRule: 'sgd' })).toThrow("was trained with update rule 'adam', not 'sgd'");
    expect(() => new Solver(model, data, { resume: loaded, optimConfig: { learningRate: 1 } })).toThrow('do not pass optimConfig too');
    disposeCheckpoint(loaded);
    narrow.dispose();
    renamed.dispose();
    model.dispose();
  });

  it('refuses corrupt checkpoints: truncated or altered weights, bad JSON, inconsistent layout, missing files', () => {
    const before = tf.memory().numTensors;
    const truncated = copyPair(epoch2, 'truncated');
    fs.truncateSync(`${truncated}.bin`, 100);
    expect(() => loadCheckpoint(truncated)).toThrow(/truncated\.bin has 100 bytes but .*truncated\.json records \d+ \(truncated\); the checkpoint is corrupt/);

    const altered = copyPair(epoch2, 'altered');
    const bytes = fs.readFileSync(`${altered}.bin`);
    bytes[10] ^= 0xff;
    fs.writeFileSync(`${altered}.bin`, bytes);
    expect(() => loadCheckpoint(altered)).toThrow(/altered\.bin does not match the SHA-256 recorded in .*; the weights are corrupt or come from another save/);

    const badJson = copyPair(epoch2, 'bad_json');
    fs.writeFileSync(`${badJson}.json`, fs.readFileSync(`${badJson}.json`, 'utf8').slice(0, 50));
    expect(() => loadCheckpoint(badJson)).toThrow(/bad_json\.json is not valid JSON \(.*\); the file is corrupt/);

    const badShape = copyPair(epoch2, 'bad_shape');
    const manifest = JSON.parse(fs.readFileSync(`${badShape}.json`, 'utf8'));
    manifest.tensors[0].shape = [5, 17];
    fs.writeFileSync(`${badShape}.json`, JSON.stringify(manifest));
    expect(() => loadCheckpoint(badShape)).toThrow("params 'W1' has shape [5,17] (340 bytes) but records 320 bytes");

    const otherVersion = copyPair(epoch2, 'other_version');
    fs.writeFileSync(`${otherVersion}.json`, JSON.stringify({ ...manifest, version: 7 }));
    expect(() => loadCheckpoint(otherVersion)).toThrow('format version 7 is not supported (this code reads version 1)');

    const noWeights = copyPair(epoch2, 'no_weights');
    fs.rmSync(`${noWeights}.bin`);
    expect(() => loadCheckpoint(noWeights)).toThrow(/weights file .*no_weights\.bin named by .*no_weights\.json is missing/);
    expect(() => loadCheckpoint(path.join(dir, 'nothing_here'))).toThrow(CheckpointError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('overwrites an existing checkpoint in place', () => {
    const model = new TinyNet();
    const base = path.join(dir, 'overwrite', 'ckpt');
    const contents = {
      model: null,
      params: model.params,
      modelState: {},
      bestParams: {},
      optimizer: null,
      epoch: 1,
      iteration: 4,
      solver: null,
      lossHistory: [1.5],
      trainAccHistory: [],
      valAccHistory: [],
      bestValAcc: 0,
    };
    saveCheckpoint(base, contents);
    saveCheckpoint(base, { ...contents, epoch: 2, lossHistory: [1.5, 1.25] });
    const loaded = loadCheckpoint(base);
    expect(loaded.epoch).toBe(2);
    expect(loaded.lossHistory).toEqual([1.5, 1.25]);
    expect(fs.readdirSync(path.dirname(base)).sort()).toEqual(['ckpt.bin', 'ckpt.json']);
    disposeCheckpoint(loaded);
    model.dispose();
  });
});
