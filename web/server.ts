/**
 * The playground's local server: the page, its bundle (built in memory at start), tfjs's .wasm binaries, and the
 * CIFAR-10 batch files from the data folder, which the page fetches rather than bundles.
 *
 *   GET /                     web/index.html
 *   GET /styles.css           web/styles.css
 *   GET /main.js(.map)        the bundle of web/main.ts, the page's thread
 *   GET /worker.js(.map)      the bundle of web/worker.ts, the training worker, and the src/ library it imports
 *   GET /wasm/<file>.wasm     @tensorflow/tfjs-backend-wasm's binaries
 *   GET /data/<batch file>    data_batch_1.bin .. data_batch_5.bin, test_batch.bin, batches.meta.txt
 *
 * Every response carries Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy, which make the page
 * cross-origin isolated: only then may the wasm backend use its multi-threaded build (SharedArrayBuffer).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { HOW_TO_GET_DATA } from '../src/data/errors';
import { printable } from '../runtime/printable';
import { META_FILE, TEST_BATCH_FILE, TRAIN_BATCH_FILES } from '../runtime/data/cifar10_format';
import { buildPage, type BuildOptions, type PageBundle, WEB_DIR } from './build';

export interface ServerOptions {
  /** The folder holding the CIFAR-10 batch files (may be missing: the page then says how to get them). */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the server is for this machine only. */
  host?: string;
  /** How to build the page (--impl exercises: the learner's workspace in place of the library's files). */
  build?: BuildOptions;
}

export interface RunningServer {
  /** The page's address, ending in '/'. */
  url: string;
  dataDir: string;
  bundle: PageBundle;
  close(): Promise<void>;
}

const DATA_FILES = new Set([...TRAIN_BATCH_FILES, TEST_BATCH_FILE, META_FILE]);
const WASM_DIR = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));

const COMMON_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cache-Control': 'no-store',
};

function send(res: http.ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendFile(res: http.ServerResponse, file: string, type: string, missing: string): void {
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      send(res, 404, 'text/plain; charset=utf-8', missing);
      return;
    }
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': stat.size });
    // A file removed or unreadable between the stat and the read ends this response, never the server.
    fs.createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  });
}

/** The longest request target served: the page's own addresses are a few hundred characters. */
export const MAX_URL_LENGTH = 4096;

/** A refusal: the status and its one-line body. */
interface Refusal {
  status: number;
  body: string;
}

/**
 * The path a request asks for, or the one-line refusal of a request that is none of this server's: a method other
 * than GET and HEAD (405), a target over MAX_URL_LENGTH (414), or one that does not parse or decode (400, e.g. a
 * lone '%'). Nothing in a request can throw past this.
 */
export function requestedPath(method: string | undefined, target: string | undefined): { route: string } | Refusal {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: `${printable(String(method)).slice(0, 40)} is not served; this server only answers GET and HEAD` };
  const raw = target ?? '/';
  if (raw.length > MAX_URL_LENGTH) return { status: 414, body: `the address is ${raw.length} characters long; this server reads at most ${MAX_URL_LENGTH}` };
  try {
    return { route: decodeURIComponent(new URL(raw, 'http://localhost').pathname) };
  } catch {
    return { status: 400, body: `${printable(raw).slice(0, 200)} is not a valid address (malformed percent-encoding?)` };
  }
}

/** Builds the page and starts serving it; resolves once the server listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { dataDir, port = 0, host = '127.0.0.1' } = options;
  const bundle = await buildPage(options.build);

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const asked = requestedPath(req.method, req.url);
    if (!('route' in asked)) {
      if (asked.status === 405) res.setHeader('Allow', 'GET, HEAD');
      send(res, asked.status, 'text/plain; charset=utf-8', `${asked.body}\n`);
      return;
    }
    const route = asked.route;
    if (route === '/' || route === '/index.html') {
      sendFile(res, path.join(WEB_DIR, 'index.html'), 'text/html; charset=utf-8', 'web/index.html is missing');
    } else if (route === '/styles.css') {
      sendFile(res, path.join(WEB_DIR, 'styles.css'), 'text/css; charset=utf-8', 'web/styles.css is missing');
    } else if (route === '/main.js' || route === '/worker.js') {
      send(res, 200, 'text/javascript; charset=utf-8', bundle[route === '/main.js' ? 'main' : 'worker'].js);
    } else if (route === '/main.js.map' || route === '/worker.js.map') {
      send(res, 200, 'application/json; charset=utf-8', bundle[route === '/main.js.map' ? 'main' : 'worker'].map);
    } else if (route.startsWith('/wasm/') && /^[\w.-]+\.wasm$/.test(route.slice(6))) {
      sendFile(res, path.join(WASM_DIR, route.slice(6)), 'application/wasm', `${route}: no such file in ${WASM_DIR}`);
    } else if (route.startsWith('/data/') && DATA_FILES.has(route.slice(6))) {
      const file = path.join(dataDir, route.slice(6));
      sendFile(res, file, 'application/octet-stream', `CIFAR-10 is not there: ${file} does not exist. ${HOW_TO_GET_DATA} ` +
        'Then restart the page server (`npm run web`, or `npm run web -- --data DIR`).');
    } else {
      send(res, 404, 'text/plain; charset=utf-8', `${printable(route).slice(0, 200)}: not found\n`);
    }
  };
  const server = http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      // A bug of this file answers one request with 500; the server and the page's session go on.
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${printable((err as Error).message ?? String(err)).split('\n')[0]}\n`);
      else res.destroy();
    }
  });

  // A request Node refuses before the handler sees it (an address longer than its 16 KB header limit, a
  // malformed request) gets a page that says why, not an empty answer the browser shows as a blank page.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLong = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLong ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const why = tooLong
      ? 'The address (or its headers) is longer than the 16 KB this server reads. The page keeps its whole state in a short query; ' +
        'open <a href="/">the page without a query</a> to start afresh.'
      : 'The server could not read this request.';
    const body = `<!doctype html><meta charset="utf-8"><title>${status}</title><p>${why}</p>\n`;
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  // Listening on every interface ('0.0.0.0', '::'): that is no address a browser can open; this machine's is.
  const reachable = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const shownHost = address.family === 'IPv6' ? `[${reachable}]` : reachable;
  return {
    url: `http://${shownHost}:${address.port}/`,
    dataDir,
    bundle,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
