/**
 * Backend set-up for specs. Specs run on the pure-JS cpu backend by default: it has every gradient kernel, so
 * the autodiff reference runs beside the hand-written layers. SPEC_BACKEND=wasm runs a spec on wasm instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend';

export async function useBackend(name: string = process.env.SPEC_BACKEND ?? 'cpu'): Promise<void> {
  await initBackend(name);
  tf.env().set('DEBUG', false);
}
