/**
 * Downloads against a local HTTP server (the specs never touch the network): redirects are followed, the md5 is
 * checked, and a failed or corrupt download leaves no file behind.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { downloadFile, md5File } from '../../runtime/data/download';
import { getCifar10 } from '../../runtime/data/get_data';
import { makeArchive, makeTmpDir, snapshot, writeOfficialDir } from './fixtures';

const R = 2;

describe('download', () => {
  let tmp: string;
  let server: http.Server;
  let base: string;
  const payload = Buffer.from('not really CIFAR-10, but bytes all the same\n'.repeat(1000));
  const payloadMd5 = createHash('md5').update(payload).digest('hex');
  let official: Buffer;
  let officialMd5: string;
  let officialFiles: Map<string, Uint8Array>;

  beforeAll(async () => {
    tmp = makeTmpDir('download');
    const src = path.join(tmp, 'src');
    officialFiles = writeOfficialDir(path.join(src, 'cifar-10-batches-bin'), R);
    official = fs.readFileSync(await makeArchive(path.join(tmp, 'official.tar.gz'), src, ['cifar-10-batches-bin']));
    officialMd5 = createHash('md5').update(official).digest('hex');
    server = http.createServer((req, res) => {
      const send = (body: Buffer) => {
        res.writeHead(200, { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' });
        res.end(body);
      };
      if (req.url === '/file') send(payload);
      else if (req.url === '/moved') res.writeHead(302, { Location: '/file' }).end();
      else if (req.url === '/cifar-10-binary.tar.gz') send(official);
      else if (req.url === '/stalls') {
        // Sends half the bytes, then nothing: the client must give up (abort) and clean up.
        res.writeHead(200, { 'Content-Length': payload.length });
        res.write(payload.subarray(0, payload.length / 2));
      }
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('follows redirects, reports progress and keeps the file when the md5 matches', async () => {
    const dest = path.join(tmp, 'ok', 'file.bin');
    const seen: number[] = [];
    await downloadFile({ url: `${base}/moved`, dest, md5: payloadMd5, onProgress: (got, total) => seen.push(got, total ?? -1) });
    expect(fs.readFileSync(dest).equals(payload)).toBe(true);
    expect(await md5File(dest)).toBe(payloadMd5);
    expect(seen.slice(-2)).toEqual([payload.length, payload.length]);
    expect(fs.readdirSync(path.dirname(dest))).toEqual(['file.bin']);
  });

  it('an md5 mismatch is an error naming both sums, and nothing is kept', async () => {
    const dest = path.join(tmp, 'bad-md5', 'file.bin');
    const wrong = 'c32a1d4ab5d03f1284b67883e8d87530';
    await expect(downloadFile({ url: `${base}/file`, dest, md5: wrong })).rejects.toThrow(
      `download of ${base}/file is corrupt: md5 ${payloadMd5}, expected ${wrong} (nothing kept)`,
    );
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });

  it('an HTTP error or an unreachable server is an error, and nothing is kept', async () => {
    const dest = path.join(tmp, 'http-error', 'file.bin');
    await expect(downloadFile({ url: `${base}/missing`, dest })).rejects.toThrow(`could not download ${base}/missing: HTTP 404`);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(downloadFile({ url: `http://127.0.0.1:${port}/x`, dest })).rejects.toThrow(/could not download .*ECONNREFUSED.*--from PATH/);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });

  it('an interrupted download leaves nothing', async () => {
    const dest = path.join(tmp, 'interrupted', 'file.bin');
    const controller = new AbortController();
    const download = downloadFile({ url: `${base}/stalls`, dest, signal: controller.signal, onProgress: () => controller.abort() });
    await expect(download).rejects.toThrow(/abort/i);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });

  it('get-data downloads, verifies, extracts and deletes the archive', async () => {
    const out = path.join(tmp, 'get');
    const result = await getCifar10({ out, url: `${base}/cifar-10-binary.tar.gz`, md5: officialMd5, recordsPerBatch: R });
    expect(result.action).toBe('extracted-official');
    expect(fs.readdirSync(out)).toEqual(['cifar-10-batches-bin']);
    const got = snapshot(result.dir);
    for (const [name, bytes] of officialFiles) expect(got.get(name)!.equals(Buffer.from(bytes))).toBe(true);
  });

  it('get-data stops at an md5 mismatch and writes nothing', async () => {
    const out = path.join(tmp, 'get-bad');
    await expect(getCifar10({ out, url: `${base}/cifar-10-binary.tar.gz`, recordsPerBatch: R })).rejects.toThrow(
      /is corrupt: md5 [0-9a-f]{32}, expected c32a1d4ab5d03f1284b67883e8d87530/,
    );
    expect(fs.existsSync(out) ? fs.readdirSync(out) : []).toEqual([]);
  });
});
