import * as tf from '@tensorflow/tfjs-core';
import { initBackend, parseBackendChoice, currentBackend, BackendError } from '../runtime/backend';

describe('backend choice', () => {
  it('parses the names a user may type, and rejects others naming the valid ones', () => {
    expect(parseBackendChoice('WASM', '--backend')).toBe('wasm');
    expect(parseBackendChoice('tensorflow', '--backend')).toBe('node');
    expect(() => parseBackendChoice('gpu', '--backend')).toThrow(/--backend: unknown backend 'gpu'; choose one of node, wasm, cpu, webgl/);
  });

  it('an explicit --backend wins over TFJS_BACKEND', async () => {
    expect(await initBackend('cpu', { TFJS_BACKEND: 'wasm' })).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('TFJS_BACKEND chooses when no flag is given', async () => {
    expect(await initBackend(undefined, { TFJS_BACKEND: 'wasm' })).toBe('wasm');
    expect(currentBackend()).toBe('wasm');
    expect(await initBackend(undefined, { TFJS_BACKEND: 'cpu' })).toBe('cpu');
  });

  it('a bad TFJS_BACKEND names the variable', async () => {
    await expect(initBackend(undefined, { TFJS_BACKEND: 'cuda' })).rejects.toThrow(/TFJS_BACKEND: unknown backend 'cuda'/);
  });

  it('the default is tfjs-node when it loads, else wasm', async () => {
    let nodeAvailable = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      nodeAvailable = false;
    }
    const chosen = await initBackend(undefined, {});
    expect(chosen).toBe(nodeAvailable ? 'node' : 'wasm');
  });

  it('asking for tfjs-node where it is not installed is an error that says what to do, not a silent fallback', async () => {
    let nodeAvailable = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      nodeAvailable = false;
    }
    if (nodeAvailable) {
      expect(await initBackend('node', {})).toBe('node');
    } else {
      await expect(initBackend('node', {})).rejects.toThrow(BackendError);
      await expect(initBackend('node', {})).rejects.toThrow(/use --backend wasm/);
    }
  });
});
