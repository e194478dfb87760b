// Every strategy delivers exactly the bytes asked for, for every shape of
// region list, and its counters match its copy model.
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRATEGY_NAMES } from '../src/native/addon.js';
import { resetTransferCounters, SharedFile, strategyByName, transferCounters, type FileRegion } from '../src/transfer/index.js';
import { tempDir } from './helpers/files.js';
import { hashExactly, PairFactory, readExactly } from './helpers/sockets.js';

const pairs = new PairFactory();
const tmp = tempDir();
const fileA = randomBytes(3 * 1024 * 1024 + 17);
const fileB = randomBytes(70_001);
let fdA: SharedFile;
let fdB: SharedFile;

function writeFile(name: string, data: Buffer): SharedFile {
  const path = join(tmp.dir, name);
  const fd = openSync(path, 'w+');
  writeSync(fd, data, 0, data.length, 0);
  return new SharedFile(fd, path);
}

function expected(header: Buffer | null, regions: FileRegion[]): Buffer {
  const parts = header ? [header] : [];
  for (const r of regions) {
    const src = r.file === fdA ? fileA : fileB;
    parts.push(src.subarray(r.position, r.position + r.length));
  }
  return Buffer.concat(parts);
}

beforeAll(async () => {
  await pairs.start();
  fdA = writeFile('a.log', fileA);
  fdB = writeFile('b.log', fileB);
});

afterAll(async () => {
  await pairs.stop();
  fdA.close();
  fdB.close();
  tmp.cleanup();
});

function shapes(): Record<string, { header: Buffer | null; regions: FileRegion[] }> {
  const many: FileRegion[] = [];
  for (let i = 0; i < 300; i++) {
    const useA = i % 3 !== 0;
    const size = useA ? fileA.length : fileB.length;
    const length = i % 7 === 0 ? 0 : 1 + ((i * 7919) % 9000);
    const position = (i * 104729) % (size - length);
    many.push({ file: useA ? fdA : fdB, position, length });
  }
  return {
    'nothing at all': { header: null, regions: [] },
    'header only': { header: Buffer.from('just a header'), regions: [] },
    'one byte': { header: null, regions: [{ file: fdA, position: 5, length: 1 }] },
    'one empty region': { header: Buffer.from('h'), regions: [{ file: fdA, position: 0, length: 0 }] },
    'unaligned': { header: Buffer.alloc(13, 7), regions: [{ file: fdA, position: 4097, length: 123_457 }] },
    'last byte of file': { header: null, regions: [{ file: fdB, position: fileB.length - 1, length: 1 }] },
    'whole file': { header: Buffer.alloc(4, 1), regions: [{ file: fdA, position: 0, length: fileA.length }] },
    'many regions of two files': { header: Buffer.from('many'), regions: many },
  };
}

describe.each(STRATEGY_NAMES)('strategy %s', (name) => {
  const strategy = strategyByName(name);

  it.each(Object.keys(shapes()))('sends exact bytes: %s', async (shape) => {
    const { header, regions } = shapes()[shape]!;
    const want = expected(header, regions);
    const { sender, receiver } = await pairs.pair();
    const got = readExactly(receiver, want.length);
    await strategy.send(sender, header, regions);
    expect((await got).equals(want)).toBe(true);
    sender.destroy();
  });

  it('counts syscalls, bytes and copies per its model', async () => {
    const header = Buffer.alloc(100, 1);
    const region = { file: fdA, position: 1, length: 1024 * 1024 };
    const { sender, receiver } = await pairs.pair();
    const got = readExactly(receiver, header.length + region.length);
    resetTransferCounters();
    await strategy.send(sender, header, [region]);
    await got;
    const c = transferCounters()[name];
    expect(c.sends).toBe(1);
    expect(c.sendsFailed).toBe(0);
    expect(c.fileBytes).toBe(region.length);
    expect(c.headerBytes).toBe(header.length);
    const copies = { sendfile: 0, mmap: 1, copy: 2 }[name];
    expect(c.copiedBytes).toBe(copies * region.length);
    const s = c.syscalls;
    if (name === 'sendfile') expect(s.sendfile).toBeGreaterThan(0);
    if (name === 'mmap') expect(s.fstat).toBe(1);
    if (name === 'copy') expect(s.pread).toBe(4); // 1 MiB in 256 KiB chunks
    expect(s.pread > 0).toBe(name === 'copy');
    expect(s.sendfile > 0).toBe(name === 'sendfile');
    // Other strategies' counters were untouched.
    for (const other of STRATEGY_NAMES.filter((n) => n !== name)) expect(transferCounters()[other].sends).toBe(0);
    sender.destroy();
  });

  it('rejects a region past the end of its file', async () => {
    const { sender } = await pairs.pair();
    await expect(strategy.send(sender, null, [{ file: fdB, position: fileB.length - 10, length: 11 }])).rejects.toMatchObject({
      code: 'ENODATA',
    });
  });

  it('refuses a region whose file was closed, without reading the fd number', async () => {
    const { sender } = await pairs.pair();
    const file = writeFile(`closed-${name}.log`, Buffer.from('x'));
    file.close();
    // The number may already name another file: the send is refused before the addon sees it.
    expect(file.open).toBe(false);
    await expect(strategy.send(sender, null, [{ file, position: 0, length: 1 }])).rejects.toMatchObject({ code: 'ERR_FILE_CLOSED' });
  });

  it('rejects an fd closed behind the region\'s back with EBADF', async () => {
    // The pair first: a socket opened after the close would reuse the fd.
    const { sender } = await pairs.pair();
    const path = join(tmp.dir, `raw-closed-${name}.log`);
    const fd = openSync(path, 'w+');
    writeSync(fd, Buffer.from('x'));
    closeSync(fd);
    const file = new SharedFile(fd, path);
    await expect(strategy.send(sender, null, [{ file, position: 0, length: 1 }])).rejects.toMatchObject({ code: 'EBADF' });
  });
});

describe('large files', () => {
  it('sends from a position past 4 GiB in a sparse file', async () => {
    const fd = openSync(join(tmp.dir, 'sparse.log'), 'w+');
    const file = new SharedFile(fd, 'sparse.log');
    const far = 4 * 1024 ** 3 + 12_345;
    const data = randomBytes(100_000);
    ftruncateSync(fd, far + data.length + 4096);
    writeSync(fd, data, 0, data.length, far);
    for (const name of STRATEGY_NAMES) {
      const { sender, receiver } = await pairs.pair();
      const got = readExactly(receiver, data.length + 8);
      await strategyByName(name).send(sender, null, [
        { file, position: far, length: data.length },
        { file, position: far - 8, length: 8 }, // a hole: zeros
      ]);
      const bytes = await got;
      expect(bytes.subarray(0, data.length).equals(data)).toBe(true);
      expect(bytes.subarray(data.length).equals(Buffer.alloc(8))).toBe(true);
    }
    file.close();
  });

  it('sends 1 GiB in one send with every strategy', async () => {
    const fd = openSync(join(tmp.dir, 'big.log'), 'w+');
    const file = new SharedFile(fd, 'big.log');
    const block = randomBytes(1024 * 1024);
    const h = createHash('sha1');
    for (let i = 0; i < 1024; i++) {
      block.writeUInt32BE(i, 0); // every MiB differs
      writeSync(fd, block, 0, block.length, i * block.length);
      h.update(block);
    }
    const want = h.digest('hex');
    for (const name of STRATEGY_NAMES) {
      const { sender, receiver } = await pairs.pair();
      const got = hashExactly(receiver, 1024 ** 3);
      await strategyByName(name).send(sender, null, [{ file, position: 0, length: 1024 ** 3 }]);
      expect(await got).toBe(want);
      sender.destroy();
    }
    file.close();
  }, 120_000);
});
