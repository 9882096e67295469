// AIO.write / AIO.read of many files at once.
import t from 'tap'
import { constants as osConstants } from 'node:os'
import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { constants as bufferConstants } from 'node:buffer'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { AIO } from '../lib/index'
import { backend, fullDisk, scratchDir, statsDelta } from './helpers'

const { errno } = osConstants

t.test(`write and read back a few hundred files (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const files: Record<string, Buffer | string> = {}
  for (let i = 0; i < 300; i++) {
    const path = join(dir, `f${i}.txt`)
    files[path] = i % 3 === 0 ? `text file ${i}\n`.repeat(i) : randomBytes(i * 37)
  }
  let written: Record<string, number> = {}
  const delta = await statsDelta(async () => { written = await AIO.write(files) })
  // An ordinary object, keyed in the caller's order.
  t.equal(Object.getPrototypeOf(written), Object.prototype)
  t.same(Object.keys(written), Object.keys(files))
  for (const [path, data] of Object.entries(files)) {
    const bytes = Buffer.from(data)
    t.equal(written[path], bytes.length)
    t.same(readFileSync(path), bytes)
  }
  // Each file is one op (open, write, close): one batch, one notification.
  t.equal(delta.batches, 1)
  t.equal(delta.notifications, 1)
  t.equal(delta.inFlight, 0)

  const back = await AIO.read(Object.keys(files))
  t.equal(Object.getPrototypeOf(back), Object.prototype)
  t.same(Object.keys(back), Object.keys(files))
  for (const [path, data] of Object.entries(files)) t.same(back[path], Buffer.from(data))
})

t.test(`16 MiB in one file (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'big.bin')
  const data = randomBytes(16 * 1024 * 1024)
  t.same(await AIO.write({ [path]: data }), { [path]: data.length })
  t.same(readFileSync(path), data)
  const back = await AIO.read([path])
  t.equal(back[path].length, data.length)
  t.ok(back[path].equals(data))
})

t.test(`flags, modes and sync (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const a = join(dir, 'a.log')
  const b = join(dir, 'b.log')
  await AIO.write({ [a]: 'one\n', [b]: 'uno\n' })
  t.same(await AIO.write({ [a]: 'two\n', [b]: 'dos\n' }, { flag: 'a' }), { [a]: 4, [b]: 4 })
  t.equal(readFileSync(a, 'utf8'), 'one\ntwo\n', "'a' appends")
  t.equal(readFileSync(b, 'utf8'), 'uno\ndos\n')
  await AIO.write({ [a]: 'x' }, { flag: 'w' })
  t.equal(readFileSync(a, 'utf8'), 'x', "'w' truncates")

  const c = join(dir, 'c.bin')
  await AIO.write({ [c]: Buffer.from('durable') }, { sync: 'data', mode: 0o600 })
  t.equal(statSync(c).mode & 0o777, 0o600, 'mode applies to created files')
  await AIO.write({ [c]: new Uint16Array([0x4241]) }, { sync: 'full' })
  t.equal(readFileSync(c, 'utf8'), 'AB', 'typed arrays are written as their bytes')
  // fdatasync/fsync of a device that cannot sync: the kernel's EINVAL.
  for (const sync of ['data', 'full'] as const) {
    const syscall = sync === 'data' ? 'fdatasync' : 'fsync'
    await t.rejects(AIO.write({ '/dev/null': 'gone' }, { sync }),
      { message: `EINVAL: invalid argument, ${syscall} '/dev/null'`, code: 'EINVAL', syscall, path: '/dev/null' })
  }
  const e = join(dir, 'empty')
  t.same(await AIO.write({ [e]: '' }), { [e]: 0 })
  t.equal(statSync(e).size, 0)
  t.same(await AIO.write({}), {}, 'nothing to do')
  t.same(await AIO.read([]), {})
})

t.test(`ranges, special files and directories (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'digits')
  writeFileSync(path, '0123456789')
  const got = await AIO.read({
    [path]: { offset: 3, length: 4 },
    '/proc/self/status': null,
    [join(dir, 'empty')]: undefined
  }).catch((e: { results: Record<string, unknown> }) => e.results)
  t.equal((got[path] as Buffer).toString(), '3456')
  t.match((got['/proc/self/status'] as Buffer).toString(), /^Name:/m, 'size-0 files are read to the end')
  t.match(got[join(dir, 'empty')], { code: 'ENOENT', syscall: 'open', path: join(dir, 'empty') })

  const more = await AIO.read({ [path]: { offset: 8, length: 100 } })
  t.equal(more[path].toString(), '89', 'a range past the end is cut at the end')
  t.equal((await AIO.read({ [path]: { offset: 20 } }))[path].length, 0)
  t.equal((await AIO.read({ [path]: { length: 0 } }))[path].length, 0)
  t.equal((await AIO.read({ [path]: {} }))[path].toString(), '0123456789')
  t.same(Object.keys(await AIO.read([path, path])), [path], 'a path listed twice is read once')

  // A size-0 file longer than the first read chunk (64 KiB): read to the end.
  const smaps = (await AIO.read(['/proc/self/smaps']))['/proc/self/smaps']
  t.ok(smaps.length > 64 * 1024, `read ${smaps.length} bytes`)
  t.match(smaps.toString().split('\n').at(-2), /^VmFlags:/, 'the last entry is complete')

  mkdirSync(join(dir, 'sub'))
  await t.rejects(AIO.read([join(dir, 'sub')]), { code: 'EISDIR', syscall: 'read', path: join(dir, 'sub') })
})

t.test(`failures name their path; the rest is on disk (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const ok = join(dir, 'ok.txt')
  const missing = join(dir, 'no', 'such', 'dir.txt')
  const error = await AIO.write({ [ok]: 'fine', [missing]: 'lost' }).catch((e: unknown) => e)
  t.type(error, Error)
  t.not(error instanceof AggregateError, true, 'one failure is that failure')
  t.match(error, {
    message: `ENOENT: no such file or directory, open '${missing}'`,
    errno: -errno.ENOENT,
    code: 'ENOENT',
    syscall: 'open',
    path: missing
  })
  const results = (error as { results: Record<string, unknown> }).results
  t.equal(results[ok], 4)
  t.equal(results[missing], error)
  t.equal(readFileSync(ok, 'utf8'), 'fine')

  const twice = await AIO.write({ [ok]: 'again', [missing]: 'x', [join(dir, 'none', 'y')]: 'y' }).catch((e: unknown) => e)
  t.type(twice, AggregateError)
  t.match(twice, { code: 'EIO', errno: -errno.EIO, syscall: 'write', message: /2 of 3 files failed/ })
  t.equal((twice as AggregateError).errors.length, 2)
  t.equal(readFileSync(ok, 'utf8'), 'again')

  const readError = await AIO.read([ok, missing]).catch((e: unknown) => e)
  t.match(readError, { code: 'ENOENT', path: missing })
  t.same((readError as { results: Record<string, unknown> }).results[ok], Buffer.from('again'))
})

t.test(`a path through a regular file is ENOTDIR (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'plain')
  writeFileSync(path, 'not a directory')
  await t.rejects(AIO.write({ [join(path, 'child')]: 'x' }),
    { code: 'ENOTDIR', syscall: 'open', path: join(path, 'child') })
})

t.test(`more files than one round (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const files: Record<string, string> = {}
  for (let i = 0; i < 1500; i++) files[join(dir, `n${i}`)] = String(i)
  const written = await AIO.write(files)
  t.equal(Object.keys(written).length, 1500)
  const back = await AIO.read(Object.keys(files))
  t.ok(Object.entries(files).every(([p, v]) => back[p].toString() === v))
})

// A detached view used to throw halfway through queueing (subarray()), leaving
// the files before it queued; the next batch submitted then took their
// results as its own (an open's fd from a write's byte count: fd 1 was
// read and then closed).
t.test(`a detached view among the files disturbs no other call (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const detached = new Uint8Array(8)
  structuredClone(detached.buffer, { transfer: [detached.buffer] })
  const [a, b, c] = ['a', 'b', 'c'].map((name) => join(dir, name))
  writeFileSync(c, 'see')
  const written = AIO.write({ [a]: 'one', [b]: detached })
  const read = AIO.read([c])
  t.same(await written, { [a]: 3, [b]: 0 }, 'a detached view is a write of nothing, as its length says')
  t.same(Object.fromEntries(Object.entries(await read).map(([p, v]) => [p, v.toString()])), { [c]: 'see' })
  t.equal(readFileSync(a, 'utf8'), 'one')
  t.equal(readFileSync(b, 'utf8'), '')
})

t.test(`a full disk: ENOSPC for that file, the others intact (${backend})`, async (t) => {
  const full = fullDisk(t)
  if (full === undefined) return
  const early = join(full, 'early.log')
  const earlyData = randomBytes(100 * 1024)
  await AIO.write({ [early]: earlyData })
  const big = join(full, 'big.bin')
  const elsewhere = join(scratchDir(t), 'elsewhere.txt')
  const error = await AIO.write({ [big]: randomBytes(2 * 1024 * 1024), [elsewhere]: 'fine' }).catch((e: unknown) => e)
  t.match(error, {
    message: `ENOSPC: no space left on device, write '${big}'`, code: 'ENOSPC', errno: -errno.ENOSPC, syscall: 'write', path: big
  })
  t.equal((error as { results: Record<string, unknown> }).results[elsewhere], 4)
  t.equal(readFileSync(elsewhere, 'utf8'), 'fine')
  t.ok(statSync(big).size > 0, 'the write got as far as the disk allowed (a short write, then ENOSPC)')
  t.same(readFileSync(early), earlyData, 'data written earlier is intact')
})

t.test(`a short write is finished or fails loudly (${backend})`, async (t) => {
  // RLIMIT_FSIZE makes the kernel stop a write at the limit (a short write)
  // and refuse the next one with EFBIG. The limit is large enough for the
  // files the test runner's own loaders write in that process.
  const LIMIT = 64 * 1024 * 1024
  const path = join(scratchDir(t), 'limited.bin')
  // The kernel also sends SIGXFSZ, which would kill the process by default.
  const script = `
    process.on('SIGXFSZ', () => {})
    const { AIO } = require(${JSON.stringify(require.resolve('../lib/index'))})
    AIO.write({ ${JSON.stringify(path)}: Buffer.alloc(${LIMIT + 4096}, 1) }, { sync: 'data' })
      .then((r) => console.log(JSON.stringify({ ok: r })), (e) => console.log(JSON.stringify({ code: e.code, syscall: e.syscall, path: e.path, message: e.message })))`
  const run = spawnSync('prlimit', [`--fsize=${LIMIT}`, process.execPath, ...process.execArgv, '-e', script],
    { encoding: 'utf8', env: process.env })
  t.equal(run.status, 0, run.stderr)
  t.same(JSON.parse(run.stdout), {
    code: 'EFBIG', syscall: 'write', path, message: `EFBIG: file too large, write '${path}'`
  })
  t.equal(statSync(path).size, LIMIT, 'the bytes the limit allowed are on disk')
})

t.test(`object-prototype names are paths like any other (${backend})`, async (t) => {
  const dir = scratchDir(t)
  process.chdir(dir)
  t.teardown(() => process.chdir(__dirname))
  const names = ['__proto__', 'constructor', 'hasOwnProperty', 'toString']
  // JSON.parse makes '__proto__' an own key, as a caller's record can have.
  const files = JSON.parse(JSON.stringify(Object.fromEntries(names.map((name) => [name, `${name} data`])))) as Record<string, string>
  t.same(Object.keys(files), names)
  const written = await AIO.write(files)
  t.same(Object.keys(written), names, 'every path has its result')
  t.equal(Object.getPrototypeOf(written), Object.prototype, "the result's prototype is untouched")
  for (const name of names) t.equal(Object.getOwnPropertyDescriptor(written, name)?.value, name.length + 5)
  for (const request of [names, JSON.parse(JSON.stringify(Object.fromEntries(names.map((name) => [name, {}]))))]) {
    const read = await AIO.read(request)
    t.same(Object.keys(read), names)
    t.equal(Object.getPrototypeOf(read), Object.prototype)
    for (const name of names) t.equal(String(Object.getOwnPropertyDescriptor(read, name)?.value), `${name} data`)
  }
  const failed = await AIO.read(['__proto__', 'missing']).catch((error: NodeJS.ErrnoException & { results: object }) => error)
  t.match(failed, { code: 'ENOENT', path: 'missing' })
  t.equal(String(Object.getOwnPropertyDescriptor((failed as { results: object }).results, '__proto__')?.value), '__proto__ data')
})

t.test(`a file no Buffer can hold fails alone, as fs.readFile's (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const big = join(dir, 'sparse')
  const small = join(dir, 'small')
  // Sparse: a size past what a Buffer holds, and no disk space taken.
  const size = 5 * 1024 ** 3
  writeFileSync(big, '')
  truncateSync(big, size)
  writeFileSync(small, 'small')
  const error = await AIO.read([big, small]).catch((e: RangeError & { code: string, path: string, results: Record<string, unknown> }) => e)
  t.type(error, RangeError)
  t.match(error, { code: 'ERR_FS_FILE_TOO_LARGE', path: big, message: `File size (${size}) is greater than ${bufferConstants.MAX_LENGTH} bytes` })
  t.same((error as { results: Record<string, unknown> }).results[small], Buffer.from('small'), 'the other file is read')
  // A range of it is an ordinary read.
  t.same(await AIO.read({ [big]: { offset: size - 4, length: 4 } }), { [big]: Buffer.alloc(4) })
})
