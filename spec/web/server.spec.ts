/**
 * The page's server against hostile requests: whatever a request holds (a lone '%', a huge address, an odd
 * method, bytes that are no HTTP at all), it is answered with one line or dropped, and the server keeps serving.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_URL_LENGTH, requestedPath, startServer, type RunningServer } from '../../web/server';

let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'server-spec-'));
  server = await startServer({ dataDir });
}, 120000);

afterAll(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Sends raw bytes to the server and resolves with everything it answers before closing (or after timeoutMs). */
function raw(bytes: string, timeoutMs = 3000): Promise<string> {
  const { port, hostname } = new URL(server.url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'));
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', done);
    socket.on('error', done);
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      done();
    });
  });
}

const request = (method: string, target: string) => raw(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);

/** The status code and the body of an HTTP answer. */
function parse(answer: string): { status: number; body: string } {
  const [head, ...rest] = answer.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: rest.join('\r\n\r\n') };
}

describe('the page server under hostile requests', () => {
  it.each([
    ['GET', '/%', 400],
    ['GET', '/%E0%A4%A', 400],
    ['GET', '/data/%ff', 400],
    ['GET', `/?lr=${'9'.repeat(MAX_URL_LENGTH + 1)}`.slice(0, MAX_URL_LENGTH + 8), 414],
    ['DELETE', '/', 405],
    ['PATCH', '/%', 405],
    ['OPTIONS', '*', 405],
    ['GET', '/no/such/%0a%1b[31mthing', 404],
  ])('%s request %# is refused with its status and a one-line body, and the server still serves the page', async (method, target, status) => {
    const answer = parse(await request(method, target));
    expect(answer.status).toBe(status);
    expect(answer.body.trimEnd().split('\n')).toHaveLength(1);
    expect(answer.body).not.toContain('\x1b');
    expect(parse(await request('GET', '/')).status).toBe(200);
  });

  it('bytes that are no HTTP request, and a request cut off half-way, leave it serving', async () => {
    expect(parse(await raw('\x00\x01garbage\r\n\r\n')).status).toBe(400);
    await raw('GET /%', 300);
    expect(parse(await request('GET', '/styles.css')).status).toBe(200);
    expect(parse(await request('HEAD', '/')).status).toBe(200);
  });

  it('requestedPath refuses in one line and never throws', () => {
    expect(requestedPath('GET', '/a%20b')).toEqual({ route: '/a b' });
    for (const target of ['/%', '/%%', '/%E0%A4%A', '%', '//%zz', 'http://[::1', `/${'%'.repeat(5000)}`]) {
      const r = requestedPath('GET', target);
      expect('status' in r && [400, 414].includes(r.status)).toBe(true);
    }
    expect(requestedPath(undefined, '/')).toMatchObject({ status: 405 });
  });
});

describe('listening on every interface', () => {
  it('prints an address a browser can open (0.0.0.0 is none)', async () => {
    const everywhere = await startServer({ dataDir, host: '0.0.0.0' });
    try {
      expect(everywhere.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const res = await fetch(everywhere.url);
      expect(res.status).toBe(200);
    } finally {
      await everywhere.close();
    }
  }, 120000);
});

function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

describe('an address over the 16 KB header limit, which Node refuses before the handler sees it', () => {
  it('is answered with a page that says why, not a blank page', async () => {
    const r = await get(`${server.url}?model=convnet&lr=${'1'.repeat(20000)}`);
    expect(r.status).toBe(431);
    expect(r.type).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('longer than the 16 KB this server reads');
    expect(r.body).toContain('<a href="/">');
  });

  it('leaves the server serving the page', async () => {
    const r = await get(`${server.url}?lr=1e-3`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('Watch a network learn CIFAR-10');
  });
});
