/**
 * Multi-threaded wasm in Node: starts tfjs's threaded-SIMD wasm build, whose matMul and conv2d (XNNPACK) split
 * their work over a pool of threads. tfjs 4.22 never starts it in Node on its own, for three reasons, each worked
 * around here before `tf.setBackend('wasm')`:
 *
 * 1. The feature test `WASM_HAS_MULTITHREAD_SUPPORT` answers false whenever it runs in Node (tfjs issue 3830).
 *    Node has SharedArrayBuffer and wasm threads, so we set the flag to true.
 * 2. Emscripten's pthreads are Web Workers made from `blob:` URLs (the worker script, and a Blob of the module's
 *    own source that each worker then imports). Node's `worker_threads.Worker` accepts neither. Emscripten looks
 *    the `Worker` class up on the global object, so we put a subclass there that runs the worker script with
 *    `eval: true` and, in the worker's 'load' message, swaps the Blob for the path of the same module's file in
 *    the package (`wasm-out/tfjs-backend-wasm-threaded-simd.js`), which Emscripten's worker script knows how to
 *    import in Node. Only the `blob:` URLs are rewritten; any other use of the class passes through unchanged.
 * 3. The C++ side caps the thread count at `emscripten_num_logical_cores() / 2` (it assumes two hyper-threads
 *    per core; tfjs-backend-wasm/src/cc/backend.cc), computed once when the module starts. In Node that count is
 *    `os.cpus().length`, so a 2-core machine gets 1 thread. For the moment the module starts, `os.cpus()`
 *    reports twice the wanted thread count; it is restored straight after.
 *
 * Results: XNNPACK gives each output tile to one thread, with the same summation order as one thread, so threaded
 * and single-threaded results are identical (spec/wasm_threads.spec.ts checks matMul and conv2d bit for bit).
 * On two cores, matMul 500x3072 @ 3072x5000 takes ~400 ms with 2 threads against ~790 ms with 1 (docs/performance.md).
 *
 * The thread count comes from `TFJS_WASM_THREADS` (1 turns threads off), else the number of CPUs, at most 8
 * (tfjs pre-creates 8 workers). Node only: in a browser tfjs starts the threaded build itself when the page is
 * cross-origin isolated.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker as NodeWorker, WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

/** tfjs pre-creates this many pthread workers (PTHREAD_POOL_SIZE in tfjs-backend-wasm's build). */
export const MAX_WASM_THREADS = 8;

export class WasmThreadsError extends Error {}

/** Parses `TFJS_WASM_THREADS`; throws naming the bad value. Undefined or empty means "one per CPU, at most 8". */
export function wasmThreadCount(env: NodeJS.ProcessEnv = process.env, cpus: number = os.cpus().length): number {
  const raw = env.TFJS_WASM_THREADS;
  if (raw === undefined || raw.trim() === '') return Math.max(1, Math.min(cpus, MAX_WASM_THREADS));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new WasmThreadsError(`TFJS_WASM_THREADS: expected an integer from 1 to ${MAX_WASM_THREADS}, got '${raw}'`);
  }
  return n;
}

function wasmOutDir(): string {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
}

let installed = false;
/** Every pthread worker made through the shim, to unreference them once the backend has started. */
const pthreadWorkers: NodeWorker[] = [];

/** Puts the Worker subclass of point 2 on the global object (once per process). */
function installWorkerShim(): void {
  if (installed) return;
  const dir = wasmOutDir();
  const moduleFile = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  // The package ships the worker script as a string in this module. Emscripten's own start-up escapes its '\n'
  // (inside string literals) before it makes a Blob of it; so must we before evaluating it.
  const workerSource = (require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string })
    .wasmWorkerContents.replace(/\n/g, '\\n');

  class PthreadWorker extends NodeWorker {
    private readonly rewrite: boolean;
    constructor(url: string | URL, options?: WorkerOptions) {
      const fromBlob = typeof url === 'string' && url.startsWith('blob:');
      super(fromBlob ? workerSource : url, fromBlob ? { ...options, eval: true } : options);
      this.rewrite = fromBlob;
      if (fromBlob) pthreadWorkers.push(this);
    }
    override postMessage(message: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (this.rewrite && m !== null && typeof m === 'object' && m.cmd === 'load' && typeof m.urlOrBlob !== 'string') {
        message = { ...m, urlOrBlob: moduleFile };
      }
      super.postMessage(message, transfer);
    }
  }
  // Emscripten assigns `globalThis.Worker = worker_threads.Worker` when the module starts; the setter keeps ours.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => undefined });
  installed = true;
}

/**
 * Runs `start` (which must call `tf.setBackend('wasm')` for the first time in this process) with `threads`
 * threads. With threads = 1 it only runs `start`. Returns what `start` returns.
 */
export async function withWasmThreads<T>(threads: number, start: () => Promise<T>): Promise<T> {
  if (threads <= 1) return start();
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  installWorkerShim();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  // The module object itself (an `import * as` namespace may be a copy), as tfjs's bundle requires it.
  const nodeOs = require('node:os') as { cpus: () => os.CpuInfo[] };
  const realCpus = nodeOs.cpus;
  const fake = Array.from({ length: 2 * threads }, () => realCpus()[0]);
  nodeOs.cpus = () => fake;
  try {
    const result = await start();
    // The main thread talks to started threads through shared memory, synchronously, so no worker needs the
    // event loop kept alive for it; referenced, they would keep the process from exiting when a script ends.
    for (const w of pthreadWorkers) w.unref();
    return result;
  } finally {
    nodeOs.cpus = realCpus;
  }
}

/** Threads the wasm backend runs on now, or 1 when it is not the active backend. */
export function activeWasmThreads(): number {
  if (tf.getBackend() !== 'wasm') return 1;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  return wasm.getThreadsCount();
}
