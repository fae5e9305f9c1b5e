/**
 * The one place that picks and initialises the tfjs compute backend.
 *
 * Choice, in order: the explicit argument (scripts pass `--backend`), then the `TFJS_BACKEND` environment
 * variable, then the default: tfjs-node when it loads, else wasm, else the pure-JS cpu backend.
 *
 * tfjs-node is an optional dependency: its install downloads libtensorflow, which fails without internet, and npm
 * then leaves it out. Asking for it explicitly when it is absent is an error; the default quietly moves on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeWasmThreads, wasmThreadCount, withWasmThreads } from './wasm_threads';

export type BackendChoice = 'node' | 'wasm' | 'cpu' | 'webgl';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['node', 'wasm', 'cpu', 'webgl'];

/** tfjs's registered name for each choice (tfjs-node registers itself as 'tensorflow'). */
const TFJS_NAME: Record<BackendChoice, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu', webgl: 'webgl' };

export class BackendError extends Error {}

/** Parses a backend name from a flag or the environment; throws naming the bad value and the valid ones. */
export function parseBackendChoice(value: string, source: string): BackendChoice {
  const v = value.trim().toLowerCase();
  if (v === 'tensorflow') return 'node';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new BackendError(`${source}: unknown backend '${value}'; choose one of ${BACKEND_CHOICES.join(', ')}`);
}

/** Loads the package behind a backend so that tfjs registers it. Returns false if it cannot be loaded. */
function loadBackendPackage(choice: BackendChoice): boolean {
  try {
    switch (choice) {
      case 'node':
        require('@tensorflow/tfjs-node');
        return true;
      case 'wasm':
        require('@tensorflow/tfjs-backend-wasm');
        return true;
      case 'cpu':
        require('@tensorflow/tfjs-backend-cpu');
        return true;
      case 'webgl':
        require('@tensorflow/tfjs-backend-webgl');
        return true;
    }
  } catch {
    return false;
  }
}

async function trySet(choice: BackendChoice, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!loadBackendPackage(choice)) return false;
  // wasm in Node: on all cores (runtime/wasm_threads.ts), unless TFJS_WASM_THREADS says otherwise. A bad value is an
  // error of its own, thrown before the attempt (not swallowed as "could not be initialised").
  const threads = choice === 'wasm' ? wasmThreadCount(env) : 1;
  try {
    if (choice === 'wasm') return await withWasmThreads(threads, () => tf.setBackend('wasm'));
    return await tf.setBackend(TFJS_NAME[choice]);
  } catch {
    return false;
  }
}

/**
 * Initialises the backend and returns the choice that is now active.
 *
 * requested: 'node' | 'wasm' | 'cpu' | 'webgl', or undefined to use `TFJS_BACKEND` or the default order.
 * An explicit request that cannot be met throws a BackendError saying why; it never silently runs elsewhere.
 */
export async function initBackend(requested?: string, env: NodeJS.ProcessEnv = process.env): Promise<BackendChoice> {
  let explicit: BackendChoice | undefined;
  if (requested !== undefined && requested !== '') explicit = parseBackendChoice(requested, '--backend');
  else if (env.TFJS_BACKEND) explicit = parseBackendChoice(env.TFJS_BACKEND, 'TFJS_BACKEND');

  if (explicit) {
    if (await trySet(explicit, env)) return explicit;
    const hint =
      explicit === 'node'
        ? ' (@tensorflow/tfjs-node is an optional dependency that needs internet at install time; use --backend wasm)'
        : explicit === 'wasm' && wasmThreadCount(env) > 1
          ? ' (it was started on several threads: TFJS_WASM_THREADS=1 starts it on one)'
          : '';
    throw new BackendError(`backend '${explicit}' could not be initialised${hint}`);
  }
  for (const choice of ['node', 'wasm', 'cpu'] as const) {
    if (await trySet(choice, env)) return choice;
  }
  throw new BackendError('no tfjs backend could be initialised (tried node, wasm, cpu)');
}

/** The active backend as a choice name ('tensorflow' is reported as 'node'). */
export function currentBackend(): string {
  const name = tf.getBackend();
  return name === 'tensorflow' ? 'node' : name;
}

/** Initialises the backend and prints it once, as every script does at start. */
export async function initBackendAndReport(requested?: string, log: (s: string) => void = console.error): Promise<BackendChoice> {
  const choice = await initBackend(requested);
  const threads = activeWasmThreads();
  log(`backend: ${currentBackend()}${threads > 1 ? ` (${threads} threads)` : ''} (tfjs ${tf.version_core})`);
  return choice;
}
