/**
 * Bundles the playground page (web/main.ts and the src/ library it imports) for the browser with esbuild, in
 * memory: the server holds the bundle and serves it, nothing is written to disk.
 *
 * The library is shared with the Node scripts, so a few of its files import Node-only modules: the Solver imports
 * checkpoints (node:fs, node:crypto, node:os) and the terminal progress bar (cli-progress). The page never saves a
 * checkpoint nor draws a terminal bar, so those imports are replaced by a stub whose every member is undefined; a
 * call would fail at once ("x is not a function") rather than silently do something else.
 */
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import * as esbuild from 'esbuild';

/** The page's folder (this file's). */
export const WEB_DIR = __dirname;

/** Modules that exist only in Node, or only make sense on a terminal. */
const NODE_ONLY = new Set([...builtinModules, 'cli-progress']);

function isNodeOnly(spec: string): boolean {
  return spec.startsWith('node:') || NODE_ONLY.has(spec) || NODE_ONLY.has(spec.split('/')[0]);
}

/** esbuild plugin: resolves Node-only imports to an empty CommonJS module. */
const stubNodeOnly: esbuild.Plugin = {
  name: 'stub-node-only',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => (isNodeOnly(args.path) ? { path: args.path, namespace: 'node-only' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'node-only' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

export interface PageBundle {
  /** The page's script, an ES module. */
  js: Uint8Array;
  /** Its source map (sources relative to the project root). */
  map: Uint8Array;
  /** How long the build took, in milliseconds. */
  ms: number;
}

/** Builds web/main.ts into one ES module for current browsers. Throws esbuild's error (file, line, message) on failure. */
export async function buildPage(): Promise<PageBundle> {
  const start = performance.now();
  const result = await esbuild.build({
    entryPoints: [path.join(WEB_DIR, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'external',
    outfile: path.join(WEB_DIR, 'dist', 'main.js'),
    logLevel: 'silent',
    plugins: [stubNodeOnly],
    // tfjs reads process.env.NODE_ENV in places; a browser has no `process`.
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
  if (!js || !map) throw new Error(`buildPage: esbuild produced ${result.outputFiles.map((f) => f.path).join(', ')}, expected main.js and main.js.map`);
  return { js: js.contents, map: map.contents, ms: performance.now() - start };
}
