/**
 * Picks the page's tfjs backend: WebGL first, as the course's demos ran on the GPU, then wasm, then the pure-JS
 * cpu backend, and says plainly which one runs and why a faster one did not.
 *
 * runtime/backend.ts loads Node's backends with require(); the page imports the three browser backends statically
 * instead (importing one registers it; nothing starts until setBackend).
 *
 * WebGL may run in software: headless Chromium and machines without a usable GPU get SwiftShader or llvmpipe, a
 * CPU implementation of the GPU, about 14x slower than wasm on the same page (matMul 512x3072x512: 917 ms vs
 * 68 ms). Unless the learner asked for WebGL by name (?backend=webgl), a software renderer makes the page start on
 * wasm instead, and the report says why. The report names the renderer so that a slow run can be told apart from
 * a slow model.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type PageBackend = 'webgl' | 'wasm' | 'cpu';
export const PAGE_BACKENDS: readonly PageBackend[] = ['webgl', 'wasm', 'cpu'];

export interface BackendReport {
  /** The backend that runs. */
  name: PageBackend;
  /** The one asked for (?backend=, default webgl). */
  requested: PageBackend;
  /** Why each backend tried before `name` failed, in order; empty when the requested one runs. */
  failures: string[];
  /** WebGL only: the GPU as the browser names it (unmasked when allowed), and WebGL's version. */
  renderer?: string;
  webglVersion?: number;
  /** WebGL only: true when the renderer is a software implementation (SwiftShader, llvmpipe). */
  software?: boolean;
  /** Set when WebGL was skipped because it runs in software here: the renderer's name. */
  skippedSoftwareWebgl?: string;
  /** wasm only: whether the SIMD and the multi-threaded builds are in use. */
  simd?: boolean;
  threads?: boolean;
}

export function isPageBackend(s: string): s is PageBackend {
  return (PAGE_BACKENDS as readonly string[]).includes(s);
}

/**
 * The renderer string of a fresh WebGL context, or undefined when WebGL is unavailable. Works in the page and in
 * its training worker (which has no document, only OffscreenCanvas).
 */
function webglRenderer(): { renderer: string; version: number } | undefined {
  const canvas = typeof document !== 'undefined' ? document.createElement('canvas') : new OffscreenCanvas(1, 1);
  const gl2 = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
  const gl = gl2 ?? (canvas.getContext('webgl') as WebGLRenderingContext | null);
  if (!gl) return undefined;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { renderer, version: gl2 ? 2 : 1 };
}

/** A renderer string that names a software implementation of the GPU. */
export function isSoftwareRenderer(renderer: string): boolean {
  return /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i.test(renderer);
}

/** Whether the page's own thread gets a WebGL context (a worker's OffscreenCanvas may get one where the page does not). */
export function pageHasWebgl(): boolean {
  return webglRenderer() !== undefined;
}

async function trySet(name: PageBackend, webglAllowed: boolean): Promise<string | null> {
  try {
    if (name === 'webgl' && (!webglAllowed || !webglRenderer())) return 'webgl: this browser gives the page no WebGL context (disabled, or no GPU driver)';
    const ok = await tf.setBackend(name);
    if (!ok) return `${name}: tfjs could not initialise it`;
    await tf.ready();
    return null;
  } catch (e) {
    return `${name}: ${(e as Error).message}`;
  }
}

/**
 * Initialises the requested backend, else the next in webgl, wasm, cpu order.
 * requested: the backend asked for; explicit: whether the learner named it (?backend=). A default request for
 * WebGL where WebGL runs in software starts wasm instead (see the file comment).
 * wasmBase: the URL folder the server serves tfjs's .wasm files from ('/wasm/'). webglAllowed: false when the
 * page's own thread has no WebGL (disabled by the learner or the browser): the worker then does not use it either.
 * Throws when none starts.
 */
export async function initPageBackend(requested: PageBackend, wasmBase: string, explicit = true, webglAllowed = true): Promise<BackendReport> {
  // Before any wasm start: tfjs fetches its .wasm binaries from here rather than next to the bundle.
  setWasmPaths(wasmBase);
  let skippedSoftwareWebgl: string | undefined;
  if (requested === 'webgl' && !explicit && webglAllowed) {
    const gl = webglRenderer();
    if (gl && isSoftwareRenderer(gl.renderer)) {
      skippedSoftwareWebgl = gl.renderer;
      requested = 'wasm';
    }
  }
  const order = [requested, ...PAGE_BACKENDS.filter((b) => b !== requested)];
  const failures: string[] = [];
  for (const name of order) {
    const failure = await trySet(name, webglAllowed);
    if (failure !== null) {
      failures.push(failure);
      continue;
    }
    const report: BackendReport = { name, requested, failures, skippedSoftwareWebgl };
    if (name === 'webgl') {
      const gl = webglRenderer();
      report.renderer = gl?.renderer;
      report.webglVersion = gl?.version;
      report.software = gl !== undefined && isSoftwareRenderer(gl.renderer);
    }
    if (name === 'wasm') {
      report.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as boolean;
      report.threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') as boolean;
    }
    return report;
  }
  throw new Error(`no tfjs backend could start in this browser: ${failures.join('; ')}`);
}

/** One line for the page: which backend runs, on what, and why not the requested one. */
export function describeBackend(r: BackendReport): string {
  let what: string = r.name;
  if (r.name === 'webgl') what += ` ${r.webglVersion ?? ''} on ${r.renderer ?? 'an unnamed GPU'}${r.software ? ' (software rendering: no GPU)' : ''}`;
  if (r.name === 'wasm') what += ` (${r.simd ? 'SIMD' : 'no SIMD'}, ${r.threads ? 'threads' : 'one thread'})`;
  return r.failures.length === 0 ? what : `${what}; fell back from ${r.requested}: ${r.failures.join('; ')}`;
}
