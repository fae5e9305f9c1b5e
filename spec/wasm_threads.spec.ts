/**
 * Threaded wasm in Node (runtime/wasm_threads.ts). The backend can start only once per process, so each start runs
 * in a child process (spec/support/threads_probe.ts): with 2 threads it must report 2 threads, give results
 * identical bit for bit to 1 thread (kernels, and the losses and weights of a few convnet training steps), and
 * exit on its own when its work is done.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { initBackend } from '../runtime/backend';
import { MAX_WASM_THREADS, WasmThreadsError, wasmThreadCount } from '../runtime/wasm_threads';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Probe {
  backend: string;
  threads: number;
  matMul: string;
  conv2d: string;
  conv2dTranspose: string;
  losses: number[];
  weights: string;
}

function probe(threads: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    execFile(
      TSX,
      [path.join('spec', 'support', 'threads_probe.ts')],
      { cwd: ROOT, env: { ...process.env, TFJS_BACKEND: 'wasm', TFJS_WASM_THREADS: threads }, timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Probe)),
    );
  });
}

describe('wasm thread count', () => {
  it('defaults to one thread per CPU, at most 8', () => {
    expect(wasmThreadCount({}, 2)).toBe(2);
    expect(wasmThreadCount({ TFJS_WASM_THREADS: '' }, 1)).toBe(1);
    expect(wasmThreadCount({}, 64)).toBe(MAX_WASM_THREADS);
  });

  it('TFJS_WASM_THREADS sets it, and a bad value is refused naming the variable', () => {
    expect(wasmThreadCount({ TFJS_WASM_THREADS: '1' }, 2)).toBe(1);
    expect(wasmThreadCount({ TFJS_WASM_THREADS: '3' }, 2)).toBe(3);
    for (const bad of ['0', '9', '1.5', 'two']) {
      expect(() => wasmThreadCount({ TFJS_WASM_THREADS: bad }, 2)).toThrow(WasmThreadsError);
      expect(() => wasmThreadCount({ TFJS_WASM_THREADS: bad }, 2)).toThrow(/TFJS_WASM_THREADS: expected an integer from 1 to 8/);
    }
  });
});

describe('threaded wasm in a child process', () => {
  it('starts 2 threads, matches 1 thread bit for bit, and exits when done', async () => {
    const [one, two] = await Promise.all([probe('1'), probe('2')]);
    expect(one).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(two).toMatchObject({ backend: 'wasm', threads: 2 });
    expect(two.matMul).toBe(one.matMul);
    expect(two.conv2d).toBe(one.conv2d);
    expect(two.conv2dTranspose).toBe(one.conv2dTranspose);
    expect(one.losses).toHaveLength(4);
    expect(two.losses).toEqual(one.losses);
    expect(two.weights).toBe(one.weights);
  }, 90_000);
});

describe('a bad TFJS_WASM_THREADS through initBackend', () => {
  it('is refused with its own message, not as a backend that failed to start', async () => {
    await expect(initBackend('wasm', { TFJS_WASM_THREADS: 'lots' })).rejects.toThrow(/TFJS_WASM_THREADS: expected an integer from 1 to 8, got 'lots'/);
  });
});
