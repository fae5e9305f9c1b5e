/**
 * Running the project's scripts from specs, as `npm run <script>` does (through tsx, in a child process), and the
 * checks the script specs share: the run finished, its metrics.json, its PNG figures, its accuracies.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

export const ROOT = path.resolve(__dirname, '../..');
const TSX_CLI = require.resolve('tsx/cli');

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run's --out folder. */
  outDir: string;
}

/**
 * Runs scripts/<script>.ts with --quick on the CIFAR-10 folder cifarDir (short synthetic batch files allowed),
 * writing to outDir, on wasm with one thread. Resolves when it exits, whatever its exit status.
 */
export function runQuick(script: string, cifarDir: string, outDir: string, timeoutMs = 240_000): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX_CLI, path.join('scripts', `${script}.ts`), '--quick', '--out', outDir, '--no-progress'],
      {
        cwd: ROOT,
        env: { ...process.env, CIFAR10_DIR: cifarDir, CIFAR10_RECORDS_PER_BATCH: 'any', TFJS_BACKEND: 'wasm', TFJS_WASM_THREADS: '1' },
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr, outDir }),
    );
  });
}

/** Runs a script file (relative to the repository root) with args and waits for it: exit status and both streams. */
export function runScriptSync(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TSX_CLI, path.join(ROOT, file), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TFJS_BACKEND: '', ...env },
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The run's metrics.json, once the run has exited 0; otherwise throws with the end of its stderr. */
export function readMetrics(script: string, result: ScriptResult): Record<string, unknown> {
  if (result.code !== 0) throw new Error(`${script} exited with ${result.code}:\n${result.stderr.slice(-3000)}`);
  return JSON.parse(fs.readFileSync(path.join(result.outDir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
}

/** Each of names in dir is a PNG of a readable size. */
export async function expectPngs(dir: string, names: string[]): Promise<void> {
  for (const name of names) {
    const meta = await sharp(path.join(dir, name)).metadata();
    expect([name, meta.format]).toEqual([name, 'png']);
    expect(meta.width).toBeGreaterThan(100);
    expect(meta.height).toBeGreaterThan(80);
  }
}

/** metrics[key] is an accuracy, a number in [0, 1], for every key. */
export function expectAccuracies(metrics: Record<string, unknown>, keys: string[]): void {
  for (const key of keys) {
    const v = metrics[key];
    expect([key, typeof v]).toEqual([key, 'number']);
    expect(v as number).toBeGreaterThanOrEqual(0);
    expect(v as number).toBeLessThanOrEqual(1);
  }
}

/** The run info every script writes: its name, seed 0, --quick, the wasm backend, and the seconds it took. */
export function expectRunInfo(metrics: Record<string, unknown>, script: string): void {
  expect(metrics).toMatchObject({ script, seed: 0, quick: true, backend: 'wasm' });
  expect(typeof metrics.seconds).toBe('number');
  expect(metrics.command).toMatch(new RegExp(`^npm run ${script} -- .*--quick`));
  expect(metrics).toHaveProperty('commit');
}
