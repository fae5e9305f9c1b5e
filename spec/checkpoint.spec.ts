import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import {
  Checkpoint,
  CheckpointContents,
  CheckpointError,
  checkpointPaths,
  cleanCheckpointDir,
  disposeCheckpoint,
  loadCheckpoint,
  loadLatestCheckpoint,
  restoreModel,
  saveCheckpoint,
} from '../runtime/checkpoint';
import { Solver, SolverData, SolverOptions } from '../src/solver';
import { checkSameData, checkpointEachEpoch, dataDigest, prepareCheckpoints, resumeSolver, resumeSolverFrom } from '../runtime/resume';
import { useBackend } from './support/backend';
import { TinyNet, tinyData } from './support/tiny_net';
import { FullyConnectedNet } from '../src/classifiers/fc_net';

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

/** The weights file a manifest names (`<base>.<sha12>.bin`). */
function weightsOf(base: string): string {
  const { manifestPath } = checkpointPaths(base);
  return path.join(path.dirname(manifestPath), JSON.parse(fs.readFileSync(manifestPath, 'utf8')).weights.file);
}

/** A fresh copy of a checkpoint pair under a new name (weights as `<name>.bin`), for specs that damage it. */
function copyPair(base: string, name: string): string {
  const to = path.join(dir, name);
  fs.copyFileSync(checkpointPaths(base).manifestPath, `${to}.json`);
  fs.copyFileSync(weightsOf(base), `${to}.bin`);
  return to;
}

describe('checkpoints', () => {
  let epoch2: string;
  let uninterrupted: { loss: number[]; train: number[]; val: number[]; params: Record<string, Float32Array> };

  beforeAll(() => {
    const model = new TinyNet();
    const solver = new Solver(model, data, { ...OPTIONS, onEpochEnd: checkpointEachEpoch(dir, 'tiny') });
    solver.train();
    uninterrupted = { loss: solver.lossHistory, train: solver.trainAccHistory, val: solver.valAccHistory, params: values(model.params) };
    epoch2 = path.join(dir, 'tiny_epoch_2');
    solver.dispose();
    model.dispose();
  });

  it('are written at the end of every epoch, as a manifest and a weights file, with no temporary files left', () => {
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(8);
    for (const e of [1, 2, 3, 4]) {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, `tiny_epoch_${e}.json`), 'utf8'));
      expect(manifest.weights.file).toBe(`tiny_epoch_${e}.${manifest.weights.sha256.slice(0, 12)}.bin`);
      expect(files).toContain(manifest.weights.file);
    }
    const manifest = JSON.parse(fs.readFileSync(`${epoch2}.json`, 'utf8'));
    expect(manifest).toMatchObject({ format: 'cs231n-tfjs-checkpoint', version: 2, epoch: 2, iteration: 8, run: null });
    expect(manifest.model).toEqual({ kind: 'TinyNet', options: new TinyNet().options });
    expect(manifest.solver).toEqual({ batchSize: 5, numEpochs: 4, lrDecay: 0.9, numTrainSamples: 1000, numValSamples: null, seed: 11, numTrain: 20 });
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
    const solver = resumeSolverFrom(model, data, epoch2, { updateRule: 'adam', verbose: false });
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

  it("resume of a batchnorm net keeps the best epoch's running statistics: saved with the best parameters, back in the model at the end", () => {
    const before = tf.memory().numTensors;
    const bnDir = path.join(dir, 'bn');
    const noisyVal = tf.tensor1d([0, 2, 1, 1, 0, 2, 2, 0, 1, 0, 1, 2], 'int32');
    const d = { ...data, yVal: noisyVal };
    const net = () => new FullyConnectedNet({ hiddenDims: [8], inputDim: 5, numClasses: 3, normalization: 'batchnorm', seed: 4 });
    const options: SolverOptions = { updateRule: 'adam', optimConfig: { learningRate: 5e-2 }, batchSize: 10, numEpochs: 8, verbose: false, seed: 3 };
    const whole = net();
    const solver = new Solver(whole, d, { ...options, onEpochEnd: checkpointEachEpoch(bnDir, 'bn') });
    solver.train();
    const bestIndex = solver.valAccHistory.indexOf(solver.bestValAcc);
    expect(bestIndex).toBeGreaterThan(0);
    expect(bestIndex).toBeLessThan(6);
    const manifest = JSON.parse(fs.readFileSync(path.join(bnDir, 'bn_epoch_6.json'), 'utf8'));
    const best = manifest.tensors.filter((t: { group: string }) => t.group === 'best').map((t: { name: string }) => t.name);
    expect(best).toEqual(expect.arrayContaining(['W1', 'gamma1', 'state/runningMean1', 'state/runningVar1']));

    const resumedNet = net();
    const resumed = resumeSolverFrom(resumedNet, d, path.join(bnDir, 'bn_epoch_6'), { verbose: false });
    resumed.train();
    expect(resumed.valAccHistory).toEqual(solver.valAccHistory);
    expect(values(resumed.bestState)).toEqual(values(solver.bestState));
    expect(values(resumedNet.state())).toEqual(values(whole.state()));
    expect(values(resumedNet.params)).toEqual(values(whole.params));
    for (const s of [solver, resumed]) s.dispose();
    for (const m of [whole, resumedNet]) m.dispose();
    noisyVal.dispose();
    expect(tf.memory().numTensors).toBe(before);
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
    expect(() => resumeSolverFrom(model, data, epoch2, { updateRule: 'sgd' })).toThrow("was trained with update rule 'adam', not 'sgd'");
    expect(() => resumeSolver(model, data, loaded, { optimConfig: { learningRate: 1 } })).toThrow('do not pass optimConfig too');
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
    expect(() => loadCheckpoint(otherVersion)).toThrow('format version 7 is not supported (this code reads version 2)');

    const noWeights = copyPair(epoch2, 'no_weights');
    fs.rmSync(`${noWeights}.bin`);
    expect(() => loadCheckpoint(noWeights)).toThrow(/weights file .*no_weights\.[0-9a-f]{12}\.bin \(or no_weights\.bin\) named by .*no_weights\.json is missing/);
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
    // The first save's weights are gone once the second manifest replaced the first.
    expect(fs.readdirSync(path.dirname(base)).sort()).toEqual([path.basename(weightsOf(base)), 'ckpt.json']);
    disposeCheckpoint(loaded);
    model.dispose();
  });

  /** A checkpoint of `model` at `epoch`, no Solver state. */
  function contentsOf(model: TinyNet, epoch: number): CheckpointContents {
    return {
      model: { kind: model.kind, options: model.options },
      run: { id: 'run-a' },
      params: model.params,
      modelState: {},
      bestParams: {},
      optimizer: null,
      epoch,
      iteration: epoch * 4,
      solver: null,
      lossHistory: [epoch],
      trainAccHistory: [],
      valAccHistory: [],
      bestValAcc: 0,
    };
  }

  /** The id of a process that has exited. */
  function deadPid(): number {
    return spawnSync(process.execPath, ['-e', '0']).pid as number;
  }

  it('a save stopped between its steps leaves the previous checkpoint or the new one whole; the leftovers are cleaned and named', () => {
    const before = tf.memory().numTensors;
    const crashDir = path.join(dir, 'crash');
    const base = path.join(crashDir, 'ckpt_epoch_1');
    const a = new TinyNet({ seed: 1 });
    const b = new TinyNet({ seed: 2 });
    saveCheckpoint(base, contentsOf(a, 1));
    const aWeights = weightsOf(base);
    const killedAt = (step: string) => ({
      onStep: (s: string) => {
        if (s === step) throw new Error(`killed after ${s}`);
      },
    });
    // Killed after the new weights are in place but before the new manifest: the old checkpoint still loads.
    expect(() => saveCheckpoint(base, contentsOf(b, 1), killedAt('weights-written'))).toThrow('killed after weights-written');
    let loaded = loadCheckpoint(base);
    expect(Array.from(loaded.params.W1.dataSync())).toEqual(Array.from(a.params.W1.dataSync()));
    disposeCheckpoint(loaded);
    const lines = cleanCheckpointDir(crashDir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^removed ckpt_epoch_1\.[0-9a-f]{12}\.bin: weights a killed save of ckpt_epoch_1\.json left \(its journal records them; the manifest names ckpt_epoch_1\.[0-9a-f]{12}\.bin\)$/,
    );
    expect(fs.readdirSync(crashDir).sort()).toEqual([path.basename(aWeights), 'ckpt_epoch_1.json']);

    // Killed after the new manifest, before the old weights were deleted: the new checkpoint loads.
    expect(() => saveCheckpoint(base, contentsOf(b, 1), killedAt('manifest-written'))).toThrow('killed after manifest-written');
    loaded = loadCheckpoint(base);
    expect(Array.from(loaded.params.W1.dataSync())).toEqual(Array.from(b.params.W1.dataSync()));
    disposeCheckpoint(loaded);
    expect(cleanCheckpointDir(crashDir)).toEqual([
      `removed ${path.basename(aWeights)}: weights a killed save of ckpt_epoch_1.json left (its journal records them; the manifest names ${path.basename(weightsOf(base))})`,
    ]);
    expect(fs.readdirSync(crashDir).sort()).toEqual(['ckpt_epoch_1.json', path.basename(weightsOf(base))].sort());

    // Temporaries of a killed writer go; a running process's are left alone.
    const pid = deadPid();
    const stale = [`.ckpt_epoch_2.json.tmp-${pid}-abc-0`, `.ckpt_epoch_2.bin.tmp-${pid}-abd-3`];
    const live = `.ckpt_epoch_3.json.tmp-${process.pid}-abc-0`;
    for (const f of [...stale, live]) fs.writeFileSync(path.join(crashDir, f), 'partial');
    expect(cleanCheckpointDir(crashDir)).toEqual(stale.sort().map((f) => `removed ${f}: a temporary of a save that was killed (process ${pid})`));
    expect(fs.readdirSync(crashDir)).toContain(live);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('start-up deletes no weights it cannot prove a killed save of its own left: a manifest that does not load, the user\'s own file', () => {
    const before = tf.memory().numTensors;
    const userDir = path.join(dir, 'user');
    const a = new TinyNet({ seed: 1 });
    const base1 = path.join(userDir, 'ckpt_epoch_1');
    const base2 = path.join(userDir, 'ckpt_epoch_2');
    saveCheckpoint(base1, contentsOf(a, 1));
    saveCheckpoint(base2, contentsOf(a, 2));
    // A newer format's manifest, a corrupt one, and a file of the user's that looks like weights.
    const m1 = checkpointPaths(base1).manifestPath;
    fs.writeFileSync(m1, fs.readFileSync(m1, 'utf8').replace('"version": 2', '"version": 3'));
    fs.writeFileSync(checkpointPaths(base2).manifestPath, '{ corrupt');
    fs.writeFileSync(path.join(userDir, 'mine.0123456789ab.bin'), 'the user\'s bytes');
    const listing = fs.readdirSync(userDir).sort();
    expect(cleanCheckpointDir(userDir)).toEqual([]);
    expect(fs.readdirSync(userDir).sort()).toEqual(listing);

    // A save killed before its manifest, whose manifest is then replaced by one that does not load: both weights stay.
    const b = new TinyNet({ seed: 2 });
    const base3 = path.join(userDir, 'ckpt_epoch_3');
    saveCheckpoint(base3, contentsOf(a, 3));
    expect(() => saveCheckpoint(base3, contentsOf(b, 3), { onStep: (s) => { if (s === 'weights-written') throw new Error('killed'); } })).toThrow('killed');
    const m3 = checkpointPaths(base3).manifestPath;
    fs.writeFileSync(m3, fs.readFileSync(m3, 'utf8').replace('"version": 2', '"version": 3'));
    const before3 = fs.readdirSync(userDir).filter((f) => f.startsWith('ckpt_epoch_3.')).sort();
    expect(before3).toHaveLength(3);
    const lines = cleanCheckpointDir(userDir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^left ckpt_epoch_3\.[0-9a-f]{12}\.bin and ckpt_epoch_3\.[0-9a-f]{12}\.bin alone: a save of ckpt_epoch_3\.json was killed, but ckpt_epoch_3\.json does not load/);
    expect(fs.readdirSync(userDir).filter((f) => f.startsWith('ckpt_epoch_3.')).sort()).toEqual(before3);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a refused start (a fresh run into a folder of checkpoints, a --resume with none that loads) touches nothing', () => {
    const before = tf.memory().numTensors;
    const refDir = path.join(dir, 'refused');
    const a = new TinyNet({ seed: 1 });
    const base = path.join(refDir, 'ckpt_epoch_1');
    saveCheckpoint(base, contentsOf(a, 1));
    const m = checkpointPaths(base).manifestPath;
    fs.writeFileSync(m, fs.readFileSync(m, 'utf8').replace('"version": 2', '"version": 3'));
    // A leftover a killed save's journal records: even that waits until the command is accepted.
    expect(() => saveCheckpoint(path.join(refDir, 'ckpt_epoch_2'), contentsOf(a, 2), { onStep: (s) => { if (s === 'weights-written') throw new Error('killed'); } })).toThrow('killed');
    const listing = fs.readdirSync(refDir).sort();
    const o = { log: () => {}, describeRun: () => 'a run' };
    expect(() => prepareCheckpoints(refDir, 'ckpt', { ...o, resume: false, restart: false })).toThrow('already holds the checkpoints');
    expect(() => prepareCheckpoints(refDir, 'ckpt', { ...o, resume: true, restart: false })).toThrow('none of the 1 checkpoint(s)');
    expect(fs.readdirSync(refDir).sort()).toEqual(listing);
    a.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('--resume identifies the data by content: same sizes but other images (another --seed of get-data) are refused', () => {
    const images = Uint8Array.from({ length: 64 }, (_, i) => i);
    const labels = Uint8Array.from([0, 1, 2, 3]);
    const shuffled = Uint8Array.from([...images.subarray(16), ...images.subarray(0, 16)]);
    const digest = dataDigest([images, labels]);
    expect(dataDigest([shuffled, labels])).not.toBe(digest);
    // Where one array ends is part of the content: the same bytes cut elsewhere are other data.
    expect(dataDigest([images.subarray(0, 60), Uint8Array.from([60, 61, 62, 63, 0, 1, 2, 3])])).not.toBe(digest);
    const c = { manifestPath: '/runs/x/checkpoints/ckpt_epoch_2.json', run: { id: 'r', data: { train: 3, val: 1, test: 2, digest } } } as unknown as Checkpoint;
    expect(() => checkSameData(c, { train: 3, val: 1, test: 2, digest })).not.toThrow();
    expect(() => checkSameData(c, { train: 3, val: 1, test: 2, digest: dataDigest([shuffled, labels]) })).toThrow(
      `--resume: ckpt_epoch_2.json trained on other images than this data holds (same sizes, data digest ${digest.slice(0, 12)} then, `,
    );
    expect(() => checkSameData(c, { train: 4, val: 1, test: 2, digest })).toThrow('trained on 3 / 1 / 2 train / val / test images, but this data has 4 / 1 / 2');
  });

  it('flushes each file before its rename and the folder after it', () => {
    const nodeFs: typeof fs = jest.requireActual('node:fs');
    const { openSync, renameSync } = nodeFs;
    const names = new Map<number, string>();
    const calls: string[] = [];
    const spies = [
      jest.spyOn(nodeFs, 'openSync').mockImplementation(((p: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode) => {
        const fd = openSync(p, flags, mode);
        names.set(fd, path.basename(String(p)).startsWith('.') ? 'temporary' : 'folder');
        return fd;
      }) as typeof fs.openSync),
      jest.spyOn(nodeFs, 'fsyncSync').mockImplementation((fd: number) => {
        calls.push(`fsync ${names.get(fd)}`);
      }),
      jest.spyOn(nodeFs, 'renameSync').mockImplementation(((from: fs.PathLike, to: fs.PathLike) => {
        calls.push(`rename to ${path.basename(String(to)).replace(/[0-9a-f]{12}/, 'SHA')}`);
        renameSync(from, to);
      }) as typeof fs.renameSync),
    ];
    const model = new TinyNet();
    try {
      saveCheckpoint(path.join(dir, 'flush', 'ckpt'), contentsOf(model, 1));
    } finally {
      for (const spy of spies) spy.mockRestore();
      model.dispose();
    }
    // The journal first (what the save is about to write), then the weights, then the manifest.
    expect(calls).toEqual([
      'fsync temporary',
      'rename to .ckpt.json.journal',
      'fsync folder',
      'fsync temporary',
      'rename to ckpt.SHA.bin',
      'fsync folder',
      'fsync temporary',
      'rename to ckpt.json',
      'fsync folder',
    ]);
  });

  it('refuses weights that are NaN or infinite, naming each tensor', () => {
    const before = tf.memory().numTensors;
    const model = new TinyNet();
    const w = model.params.W1.dataSync().slice();
    w[0] = NaN;
    w[3] = NaN;
    w[7] = -Infinity;
    const poisoned = tf.tensor(w, model.params.W1.shape);
    model.params.W1.assign(poisoned);
    poisoned.dispose();
    const base = path.join(dir, 'nan', 'ckpt');
    saveCheckpoint(base, contentsOf(model, 1));
    expect(() => loadCheckpoint(base)).toThrow(
      /nan\/ckpt\.json holds weights that are not finite \(the run had diverged\); refusing to load them:\n {2}params 'W1': 2 NaN and 1 infinite of 80 values$/,
    );
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loadLatestCheckpoint falls back to the newest intact checkpoint and says which were skipped and why', () => {
    const before = tf.memory().numTensors;
    const fallback = path.join(dir, 'fallback');
    const model = new TinyNet();
    for (const e of [1, 2, 3, 10]) saveCheckpoint(path.join(fallback, `ckpt_epoch_${e}`), contentsOf(model, e));
    fs.truncateSync(weightsOf(path.join(fallback, 'ckpt_epoch_10')), 12);
    fs.writeFileSync(path.join(fallback, 'ckpt_epoch_3.json'), '{"format": "cs231n-tf');
    const { checkpoint, skipped } = loadLatestCheckpoint(fallback, 'ckpt');
    expect(checkpoint?.epoch).toBe(2);
    expect(skipped.map((s) => path.basename(s.manifestPath))).toEqual(['ckpt_epoch_10.json', 'ckpt_epoch_3.json']);
    expect(skipped[0].reason).toMatch(/has 12 bytes but .* records \d+ \(truncated\); the checkpoint is corrupt/);
    expect(skipped[1].reason).toMatch(/is not valid JSON/);
    disposeCheckpoint(checkpoint as NonNullable<typeof checkpoint>);
    expect(loadLatestCheckpoint(path.join(dir, 'none'), 'ckpt')).toEqual({ checkpoint: null, skipped: [] });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a Solver refuses to continue a run on a training set of another size (its epochs would count other passes)', () => {
    const before = tf.memory().numTensors;
    const small = tinyData(12, 5, 3, 9);
    const other: SolverData = { ...data, XTrain: small.X, yTrain: small.y };
    const model = new TinyNet();
    expect(() => resumeSolverFrom(model, other, epoch2)).toThrow(`checkpoint ${epoch2}.json was trained on 20 training examples, but this data has 12; resume with the same data`);
    // A checkpoint that does not record the size is caught by its iterations per epoch.
    const old = copyPair(epoch2, 'no_size');
    const manifest = JSON.parse(fs.readFileSync(`${old}.json`, 'utf8'));
    delete manifest.solver.numTrain;
    fs.writeFileSync(`${old}.json`, JSON.stringify(manifest));
    expect(() => resumeSolverFrom(model, other, old)).toThrow(
      'took 8 iterations in 2 epochs, but an epoch of this data (12 examples, batch 5) is 2 iterations; resume with the same data and batch size',
    );
    tf.dispose([small.X, small.y]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('restoreModel refuses state the model does not have without changing the model or leaking the copies', () => {
    const net = () => new FullyConnectedNet({ hiddenDims: [8], inputDim: 5, numClasses: 3, normalization: 'batchnorm', seed: 4 });
    const saved = net();
    const base = path.join(dir, 'foreign_state');
    const mean = tf.zeros([8]);
    const variance = tf.ones([8]);
    saveCheckpoint(base, {
      epoch: 1, iteration: 1, solver: null, lossHistory: [], trainAccHistory: [], valAccHistory: [], bestValAcc: 0,
      model: { kind: 'FullyConnectedNet', options: {} }, params: saved.params, modelState: { runningMean1: mean, runningVar1: variance, runningMean7: mean, runningVar7: variance },
      bestParams: {}, optimizer: null,
    });
    tf.dispose([mean, variance]);
    const loaded = loadCheckpoint(base);
    const target = new FullyConnectedNet({ hiddenDims: [8], inputDim: 5, numClasses: 3, normalization: 'batchnorm', seed: 9 });
    const before = values(target.params);
    const count = tf.memory().numTensors;
    expect(() => restoreModel(loaded, target)).toThrow(/runningMean7' is not the running statistic of a batchnorm layer of this net/);
    expect(tf.memory().numTensors).toBe(count);
    expect(values(target.params)).toEqual(before);
    disposeCheckpoint(loaded);
    saved.dispose();
    target.dispose();
  });
});
