/**
 * Assignment 2's notebook scripts end to end: each runs with --quick in a child process through tsx (charts need
 * vega, which only loads outside ts-jest; see runtime/vis/chart.ts) on a tiny synthetic CIFAR-10 folder of random
 * images (100 training, 20 test), found through CIFAR10_DIR. Each must exit 0, write metrics.json with its keys,
 * run info and sane values, write its figures as PNGs, and print its summary to stdout.
 *
 * Random pixels teach nothing, so the accuracies are only checked to be accuracies; the scripts' real numbers
 * come from the default runs on the real data.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeOfficialDir } from '../data/fixtures';
import { NUMERIC_BOUND } from '../../src/gradcheck';
import { expectWithin } from '../support/expect';
import { ScriptResult, expectAccuracies, expectPngs, expectRunInfo, readMetrics, runQuick } from '../support/scripts';

const TIMEOUT_MS = 240_000;

let root: string;
const results = new Map<string, Promise<ScriptResult>>();

function runScript(script: string): Promise<ScriptResult> {
  return runQuick(script, path.join(root, 'cifar'), path.join(root, 'out', script), TIMEOUT_MS);
}

async function finished(script: string): Promise<{ result: ScriptResult; metrics: Record<string, unknown> }> {
  const result = await results.get(script)!;
  const metrics = readMetrics(script, result);
  expectRunInfo(metrics, script);
  return { result, metrics };
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'assignment2-spec-'));
  writeOfficialDir(path.join(root, 'cifar'), 20);
  // Two at a time, one wasm thread each: the machine has two cores.
  const first = ['convnet', 'fc-nets'];
  const second = ['batchnorm', 'dropout'];
  for (const s of first) results.set(s, runScript(s));
  for (const [i, s] of second.entries()) results.set(s, results.get(first[i])!.then(() => runScript(s)));
});

afterAll(async () => {
  await Promise.all(results.values());
  fs.rmSync(root, { recursive: true, force: true });
});

describe('scripts/convnet.ts --quick', () => {
  it('times naive vs fast conv and pool, checks the sandwich layers, overfits, trains, draws the filters and the augmentations', async () => {
    const { result, metrics } = await finished('convnet');
    const fast = metrics.fast_layers as Record<string, { naiveSeconds: number; fastSeconds: number; speedup: number; difference: Record<string, number> }>;
    expect(Object.keys(fast)).toEqual(['conv_forward', 'conv_backward', 'pool_forward', 'pool_backward']);
    for (const [layer, r] of Object.entries(fast)) {
      expect([layer, r.speedup]).toEqual([layer, r.naiveSeconds / r.fastSeconds]);
      for (const [key, err] of Object.entries(r.difference)) expectWithin(`${layer} ${key}: naive vs fast`, err, 1e-5);
    }
    expect(Object.keys(fast.conv_backward.difference)).toEqual(['dx', 'dw', 'db']);
    const sandwich = metrics.sandwich_layers as Record<string, Record<string, number>>;
    expect(Object.keys(sandwich)).toEqual(['conv_relu_pool', 'conv_relu']);
    for (const [layer, errs] of Object.entries(sandwich)) {
      expect(Object.keys(errs)).toEqual(['dx', 'dw', 'db']);
      for (const [key, err] of Object.entries(errs)) expectWithin(`${layer} ${key}: hand-written vs numeric`, err, NUMERIC_BOUND);
    }
    expect(result.stderr).toContain('Testing conv_relu_pool:');
    expectAccuracies(metrics, ['overfit_train_acc', 'one_epoch_val_acc', 'one_epoch_test_acc']);
    expect(metrics.seconds_per_iteration as number).toBeGreaterThan(0);
    expect(metrics.cpu_seconds_per_iteration as number).toBeGreaterThan(0);
    expect(metrics.overfit).toMatchObject({ iterations: 15 });
    await expectPngs(result.outDir, ['overfit_curves.png', 'one_epoch_curves.png', 'filters.png', 'augmentation.png']);
    expect(result.stdout).toContain('== Three-layer convnet ==');
    expect(result.stderr).toContain('(Epoch 15 / 15) train acc:');
  }, TIMEOUT_MS);
});

describe('scripts/fc-nets.ts --quick', () => {
  it('runs both overfitting nets, the four update rules and the best model', async () => {
    const { result, metrics } = await finished('fc-nets');
    expectAccuracies(metrics, ['overfit_train_acc', 'best_val_acc', 'test_acc']);
    expect(Object.keys(metrics.overfit as object)).toEqual(['3-layer', '5-layer']);
    expect(Object.keys(metrics.update_rules as object)).toEqual(['sgd', 'sgd_momentum', 'rmsprop', 'adam']);
    await expectPngs(result.outDir, ['overfit.png', 'update_rules.png', 'best_model.png']);
    expect(result.stdout).toContain('== Update rules ==');
  }, TIMEOUT_MS);
});

describe('scripts/batchnorm.ts --quick', () => {
  it('compares batchnorm with the baseline, sweeps the weight scale and the batch size', async () => {
    const { result, metrics } = await finished('batchnorm');
    expectAccuracies(metrics, ['bn_final_train_acc', 'baseline_final_train_acc']);
    const sweep = metrics.weight_scale_sweep as { scales: number[]; baseline: { bestValAcc: number[] }; batchnorm: { finalLoss: unknown[] } };
    expect(sweep.scales).toHaveLength(5);
    expect(sweep.scales[0]).toBeCloseTo(1e-4, 10);
    expect(sweep.scales[4]).toBeCloseTo(1, 10);
    expect(sweep.baseline.bestValAcc).toHaveLength(5);
    expect(sweep.batchnorm.finalLoss).toHaveLength(5);
    const batch = metrics.batch_size as Record<string, Record<string, unknown>>;
    expect(Object.keys(batch.batchnorm)).toEqual(['baseline, bs=5', 'batchnorm, bs=5', 'batchnorm, bs=10', 'batchnorm, bs=50']);
    expect(Object.keys(batch.layernorm)).toEqual(['baseline, bs=5', 'layernorm, bs=5', 'layernorm, bs=10', 'layernorm, bs=50']);
    await expectPngs(result.outDir, ['bn_vs_baseline.png', 'weight_scale.png', 'batch_size_batchnorm.png', 'batch_size_layernorm.png']);
    expect(result.stdout).toContain('== Weight initialisation scale');
  }, TIMEOUT_MS);
});

describe('scripts/dropout.ts --quick', () => {
  it('trains one net per keep probability and reports train and val accuracy for each', async () => {
    const { result, metrics } = await finished('dropout');
    for (const key of ['train_acc_by_keep', 'val_acc_by_keep']) {
      const byKeep = metrics[key] as Record<string, number>;
      expect(Object.keys(byKeep)).toEqual(['1', '0.75', '0.5', '0.25']);
      expectAccuracies(byKeep, Object.keys(byKeep));
    }
    await expectPngs(result.outDir, ['dropout.png']);
    expect(result.stdout).toContain('== Dropout');
  }, TIMEOUT_MS);
});
