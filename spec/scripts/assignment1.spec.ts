/**
 * Assignment 1's notebook scripts end to end: each runs with --quick in a child process through tsx (charts need
 * vega, which only loads outside ts-jest; see runtime/vis/chart.ts) on a tiny synthetic CIFAR-10 folder of random
 * images (40 records per batch file: 200 training, 40 test), found through CIFAR10_DIR, with
 * CIFAR10_RECORDS_PER_BATCH=any so that the loader accepts the short files. Each must exit 0, write metrics.json
 * with the keys the default runs are judged by plus the run info, write its figures as PNGs, and print its summary
 * to stdout. A missing data folder must stop a script with the loader's message and exit code 1.
 *
 * Random pixels teach nothing, so accuracies are only checked to be accuracies; the real numbers come from the
 * default runs on the real data.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeOfficialDir } from '../data/fixtures';
import { ScriptResult, expectAccuracies, expectPngs, expectRunInfo, readMetrics, runQuick } from '../support/scripts';

const TIMEOUT_MS = 240_000;
const SCRIPTS = ['knn', 'svm', 'softmax', 'two-layer-net', 'features'] as const;
type Script = (typeof SCRIPTS)[number];

let root: string;
const results = new Map<Script, Promise<ScriptResult>>();

function runScript(script: string, cifarDir: string, outName: string = script): Promise<ScriptResult> {
  return runQuick(script, cifarDir, path.join(root, 'out', outName), TIMEOUT_MS);
}

async function finished(script: Script): Promise<{ result: ScriptResult; metrics: Record<string, unknown> }> {
  const result = await results.get(script)!;
  const metrics = readMetrics(script, result);
  expectRunInfo(metrics, script);
  return { result, metrics };
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'assignment1-spec-'));
  const cifar = path.join(root, 'cifar');
  writeOfficialDir(cifar, 40);
  // Two at a time, one wasm thread each: the machine has two cores.
  const chains: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  SCRIPTS.forEach((s, i) => {
    const run = chains[i % 2].then(() => runScript(s, cifar));
    results.set(s, run);
    chains[i % 2] = run;
  });
});

afterAll(async () => {
  await Promise.all(results.values());
  fs.rmSync(root, { recursive: true, force: true });
});

describe('assignment 1 scripts, --quick on a tiny synthetic folder', () => {
  it(
    'knn: accuracies, best k from cross-validation, the three timings, samples, distances and the CV plot',
    async () => {
      const { result, metrics } = await finished('knn');
      expectAccuracies(metrics, ['k1_test_acc', 'best_k_test_acc']);
      expect([1, 3, 5, 8, 10, 12, 15, 20, 50, 100]).toContain(metrics.best_k);
      for (const key of ['seconds_two_loops', 'seconds_one_loop', 'seconds_no_loops']) expect(metrics[key] as number).toBeGreaterThan(0);
      expect(metrics.seconds_two_loops_note).toMatch(/extrapolated from 10 of 40 test rows/);
      // The three distance versions agree up to float32 rounding (the no-loop one loses a few digits to cancellation).
      expect(metrics.two_loops_relative_difference as number).toBeLessThan(1e-4);
      expect(metrics.one_loop_relative_difference as number).toBeLessThan(1e-4);
      expect(Object.keys(metrics.k_to_accuracies as object)).toHaveLength(10);
      await expectPngs(result.outDir, ['samples.png', 'distances.png', 'cross_validation.png']);
      expect(result.stdout).toContain('== knn ==');
    },
    TIMEOUT_MS,
  );

  for (const script of ['svm', 'softmax'] as const) {
    it(
      `${script}: gradient checks, naive vs vectorised, the search table, best model on test, loss and templates`,
      async () => {
        const { result, metrics } = await finished(script);
        expectAccuracies(metrics, ['best_val_acc', 'test_acc']);
        // The naive loss sums in float64, the vectorised one in float32: they agree to float32 rounding.
        expect(metrics.naive_vs_vectorized_grad_diff as number).toBeLessThan(1e-4);
        expect(metrics.grad_check_relative_error as number).toBeLessThan(1e-4);
        expect((metrics.search as unknown[]).length).toBe(4);
        await expectPngs(result.outDir, ['loss.png', 'search.png', 'weights.png']);
        expect(result.stdout).toMatch(/search: 100 iterations, batch 200/);
      },
      TIMEOUT_MS,
    );
  }

  it(
    'two-layer-net: gradient check within the float32 bound, the settings table, curves and first-layer weights',
    async () => {
      const { result, metrics } = await finished('two-layer-net');
      expectAccuracies(metrics, ['best_val_acc', 'test_acc']);
      expect(metrics.grad_check_max_relative_error as number).toBeLessThan(1e-2);
      expect((metrics.search as unknown[]).length).toBe(2);
      await expectPngs(result.outDir, ['curves.png', 'weights.png']);
      expect(result.stdout).toContain('== two-layer net search ==');
    },
    TIMEOUT_MS,
  );

  it(
    'features: HOG + hue features, the SVM search and its mistakes, the net on features',
    async () => {
      const { result, metrics } = await finished('features');
      expectAccuracies(metrics, ['svm_val_acc', 'svm_test_acc', 'net_val_acc', 'net_test_acc']);
      expect(metrics.num_features).toBe(144 + 10);
      await expectPngs(result.outDir, ['svm_search.png', 'svm_loss.png', 'misclassified.png', 'net_curves.png']);
      const { numTraining } = metrics.sizes as { numTraining: number };
      expect(result.stdout).toContain(`training features    [${numTraining}, 155]`);
    },
    TIMEOUT_MS,
  );

  it(
    'a missing data folder stops a script with the loader message and exit code 1',
    async () => {
      await Promise.all(results.values());
      const result = await runScript('knn', path.join(root, 'no-such-folder'), 'missing');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('CIFAR-10 not found');
      expect(result.stderr).toContain('npm run get-data');
      expect(fs.existsSync(path.join(result.outDir, 'metrics.json'))).toBe(false);
    },
    TIMEOUT_MS,
  );
});
