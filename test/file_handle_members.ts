// The rest of FileHandle's members, side by side with fs.promises:
// readFile, writeFile and appendFile on a handle, chmod, chown, utimes,
// stat's BigIntStats, getAsyncId, the 'close' event and the close of a
// handle nobody closed, on garbage collection.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { executionAsyncId } from 'node:async_hooks'
import { closeSync, fstatSync, truncateSync, writeFileSync } from 'node:fs'
import { open as fsOpen } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { open } from '../lib/index'
import { backend, bad, scratchDir, sideBySide } from './helpers'

const text = 'héllo wörld\n'.repeat(5000)

t.test(`readFile on a handle, like fs.promises (${backend})`, (t) => sideBySide(t, 'r+', text, [
  async (fh) => fh.readFile(),
  async (fh) => fh.readFile(), // at the end now: nothing
  async (fh) => { await fh.read(Buffer.alloc(0), 0, 0, 0); return fh.readFile('utf8') },
  async (fh) => fh.readFile({ encoding: 'latin1' }),
  async (fh) => fh.readFile({ encoding: 'buffer' }),
  async (fh) => fh.readFile(bad({ encoding: 'bogus' })),
  async (fh) => fh.readFile(bad(5)),
  async (fh) => fh.readFile(bad({ signal: 'x' })),
  async (fh) => fh.readFile({ signal: AbortSignal.abort() }),
  async (fh) => { await fh.truncate(0); return fh.readFile() }
]))

t.test(`readFile reads from the handle's position (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'positioned')
  writeFileSync(path, '0123456789')
  const fh = await open(path, 'r')
  const theirs = await fsOpen(path, 'r')
  t.teardown(async () => { await fh.close(); await theirs.close() })
  await fh.read(Buffer.alloc(4), 0, 4, null)
  await theirs.read(Buffer.alloc(4), 0, 4, null)
  t.equal(await fh.readFile('utf8'), await theirs.readFile('utf8'))
})

t.test(`readFile of a pipe reads until its end (${backend})`, async (t) => {
  const script = join(scratchDir(t), 'read_stdin.js')
  writeFileSync(script, `
    const { open } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index'))})
    open('/dev/stdin').then(async (fh) => {
      const bytes = await fh.readFile()
      await fh.close()
      process.stdout.write(String(bytes.length))
    })`)
  const run = spawnSync('sh', ['-c', `head -c 300000 /dev/zero | "${process.execPath}" "${script}"`], { encoding: 'utf8' })
  t.equal(run.stderr, '')
  t.equal(run.stdout, '300000')
})

t.test(`writeFile and appendFile on a handle, like fs.promises (${backend})`, (t) => sideBySide(t, 'w+', null, [
  async (fh) => fh.writeFile('first\n'),
  async (fh) => fh.writeFile(Buffer.from('second\n')),
  async (fh) => fh.appendFile(new Uint16Array([0x4141, 0x0a42])),
  async (fh) => fh.writeFile('6869', 'hex'),
  async (fh) => fh.writeFile('x', { encoding: 'base64' }),
  async (fh) => fh.writeFile(['a', Buffer.from('b'), 'c\n']),
  async (fh) => fh.writeFile(Readable.from(['stream ', 'chunks\n'])),
  async (fh) => fh.writeFile((async function * () { yield 'async '; yield 'gen\n' })()),
  async (fh) => fh.writeFile(''),
  async (fh) => fh.writeFile(bad(5)),
  async (fh) => fh.writeFile(bad(null)),
  async (fh) => fh.writeFile('x', bad({ encoding: 'bogus' })),
  async (fh) => fh.writeFile('x', bad({ signal: 1 })),
  async (fh) => fh.writeFile('x', { signal: AbortSignal.abort() }),
  async (fh) => fh.writeFile('x', bad({ flush: 'yes' })),
  async (fh) => fh.writeFile('flushed\n', { flush: true }),
  async (fh) => fh.appendFile('x', bad({ flush: 1 })),
  async (fh) => fh.appendFile('end\n'),
  async (fh) => fh.readFile('utf8')
]))

t.test(`appendFile on an append handle goes to the end (${backend})`, (t) => sideBySide(t, 'a+', 'start\n', [
  async (fh) => fh.appendFile('one\n'),
  async (fh) => fh.writeFile('two\n'),
  async (fh) => fh.readFile('utf8')
]))

t.test(`a large writeFile and readFile round trip (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'large')
  const data = Buffer.alloc(24 * 1024 * 1024 + 123)
  for (let i = 0; i < data.length; i += 4096) data[i] = i % 251
  const fh = await open(path, 'w+')
  await fh.writeFile(data)
  t.equal(fstatSync(fh.fd).size, data.length)
  const back = await fh.readFile()
  t.equal(back.length, 0, 'the position is at the end')
  await fh.close()
  const again = await open(path, 'r')
  t.ok((await again.readFile()).equals(data), 'byte for byte')
  await again.close()
})

t.test(`chmod, chown and utimes, like fs.promises (${backend})`, (t) => sideBySide(t, 'r+', 'x', [
  async (fh) => { await fh.chmod(0o640); return fh.stat().then((s) => s.mode) },
  async (fh) => { await fh.chmod('600'); return fh.stat().then((s) => s.mode) },
  async (fh) => fh.chmod(bad(undefined)),
  async (fh) => fh.chmod('9'),
  async (fh) => fh.chmod(-1),
  async (fh) => fh.chmod(1.5),
  async (fh) => { await fh.chown(-1, -1); return fh.stat().then((s) => [s.uid, s.gid]) },
  async (fh) => { await fh.chown(1234, 5678); return fh.stat().then((s) => [s.uid, s.gid]) },
  async (fh) => fh.chown(bad('a'), 1),
  async (fh) => fh.chown(1, 2 ** 32),
  async (fh) => fh.chown(-2, 1),
  async (fh) => { await fh.utimes(1000, 2000.5); return fh.stat().then((s) => [s.atimeMs, s.mtimeMs]) },
  async (fh) => { await fh.utimes(new Date(1e12 + 0.25), '3000'); return fh.stat().then((s) => [s.atimeMs, s.mtimeMs]) },
  async (fh) => { await fh.utimes(1.0000009, 123456789.123456789); return fh.stat().then((s) => [s.atimeMs, s.mtimeMs]) },
  async (fh) => fh.utimes(bad({}), 1),
  async (fh) => fh.utimes(1, bad('abc'))
]))

t.test(`a closed handle rejects each call with fs's syscall (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'closed')
  writeFileSync(path, 'x')
  const fh = await open(path, 'r+')
  const theirs = await fsOpen(path, 'r+')
  await fh.close()
  await theirs.close()
  const calls: Array<[string, (h: typeof fh) => Promise<unknown>]> = [
    ['readFile', (h) => h.readFile()],
    ['writeFile', (h) => h.writeFile('x')],
    ['appendFile', (h) => h.appendFile('x')],
    ['chmod', (h) => h.chmod(0o600)],
    ['chown', (h) => h.chown(1, 1)],
    ['utimes', (h) => h.utimes(1, 1)],
    ['stat', (h) => h.stat()],
    ['truncate', (h) => h.truncate()],
    ['sync', (h) => h.sync()],
    ['datasync', (h) => h.datasync()],
    ['read', (h) => h.read(Buffer.alloc(1))],
    ['write', (h) => h.write('x')],
    ['readv', (h) => h.readv([Buffer.alloc(1)])],
    ['writev', (h) => h.writev([Buffer.alloc(1)])]
  ]
  for (const [name, call] of calls) {
    const expected = await call(theirs as unknown as typeof fh).catch((e: Error) => ({ message: e.message, code: (e as { code?: string }).code, syscall: (e as { syscall?: string }).syscall }))
    const got = await call(fh).catch((e: Error) => ({ message: e.message, code: (e as { code?: string }).code, syscall: (e as { syscall?: string }).syscall }))
    t.same(got, expected, name)
  }
})

t.test(`'close' is emitted when close() is called, and getAsyncId is the handle's own (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'events')
  writeFileSync(path, 'x')
  const fh = await open(path, 'r')
  const other = await open(path, 'r')
  t.type(fh.getAsyncId(), 'number')
  t.ok(fh.getAsyncId() > 0)
  t.not(fh.getAsyncId(), other.getAsyncId(), 'each handle its own id')
  t.not(fh.getAsyncId(), executionAsyncId())
  t.equal(fh.getAsyncId(), fh.getAsyncId(), 'stable')
  let closes = 0
  fh.on('close', () => closes++)
  const closing = fh.close()
  t.equal(closes, 1, 'emitted by close(), before it resolves')
  t.equal(fh.fd, -1, 'no call under way: the descriptor is given up at once')
  await closing
  await fh.close()
  t.equal(closes, 1, 'once')
  await other.close()
})

t.test(`a handle nobody closed is closed when collected, with fs's warnings (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'collected')
  writeFileSync(path, 'x')
  const script = `
    const { open } = require(${JSON.stringify(join(__dirname, '..', 'lib', 'index'))})
    const { readdirSync } = require('node:fs')
    const warnings = []
    process.on('warning', (w) => warnings.push([w.name, w.code, w.message]))
    ;(async () => {
      await (await open(${JSON.stringify(path)})).close() // the engine's own descriptors are open from here
      const before = readdirSync('/proc/self/fd').length
      let fds = []
      for (let i = 0; i < 3; i++) fds.push((await open(${JSON.stringify(path)})).fd)
      const opened = readdirSync('/proc/self/fd').length
      for (let i = 0; i < 10 && warnings.length < 4; i++) {
        globalThis.gc()
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      process.stdout.write(JSON.stringify({ fds, opened: opened - before, left: readdirSync('/proc/self/fd').length - before, warnings }))
    })()`
  const run = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', '-e', script], { encoding: 'utf8' })
  t.equal(run.status, 0, run.stderr)
  const report = JSON.parse(run.stdout) as { fds: number[], opened: number, left: number, warnings: string[][] }
  t.equal(report.opened, 3)
  t.equal(report.left, 0, 'all three closed')
  const messages = report.warnings.filter((w) => w[0] === 'Warning').map((w) => w[2]).sort()
  t.same(messages, report.fds.map((fd) => `Closing file descriptor ${fd} on garbage collection`).sort())
  t.same(report.warnings.filter((w) => w[0] === 'DeprecationWarning').map((w) => w[1]), ['DEP0137'], 'the deprecation once')
})

t.test(`readFile of a file over 2 GiB fails as fs's does (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'sparse')
  writeFileSync(path, '')
  truncateSync(path, 3 * 1024 ** 3)
  const fh = await open(path, 'r')
  const theirs = await fsOpen(path, 'r')
  t.teardown(async () => { await fh.close(); await theirs.close() })
  const expected = await theirs.readFile().catch((e: Error) => e)
  const got = await fh.readFile().catch((e: Error) => e)
  t.match(got, { name: 'RangeError', code: 'ERR_FS_FILE_TOO_LARGE', message: (expected as Error).message })
})

t.test(`a collected handle whose close fails is an uncaught error, as with fs (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'failing')
  writeFileSync(path, 'x')
  const script = `
    const { open } = require(${JSON.stringify(join(__dirname, '..', 'lib', 'index'))})
    const { closeSync } = require('node:fs')
    ;(async () => {
      // Its descriptor closed behind its back: the close on collection fails.
      closeSync((await open(${JSON.stringify(path)})).fd)
      for (let i = 0; i < 50; i++) {
        globalThis.gc()
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()`
  const run = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', '-e', script], { encoding: 'utf8' })
  t.not(run.status, 0, 'the process fails')
  t.match(run.stderr, /EBADF: bad file descriptor, close.*closing file descriptor \d+ on garbage collection/)
})

t.test(`utimes with a negative time sets it to now, as fs (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'now')
  writeFileSync(path, 'x')
  const fh = await open(path, 'r+')
  t.teardown(() => fh.close())
  const before = Date.now()
  await fh.utimes(-1, 5)
  const stats = fstatSync(fh.fd)
  t.ok(stats.atimeMs >= before - 1000 && stats.atimeMs <= Date.now() + 1000, 'atime is now')
  t.equal(stats.mtimeMs, 5000)
})

t.test(`a small file of unknown size and a lost descriptor, as fs.promises (${backend})`, async (t) => {
  const fh = await open('/proc/self/cmdline')
  const theirs = await fsOpen('/proc/self/cmdline')
  t.same(await fh.readFile(), await theirs.readFile(), '/proc/self/cmdline: one chunk')
  // Both descriptors closed behind the handles' backs.
  closeSync(fh.fd)
  closeSync(theirs.fd)
  const expected = await theirs.stat({ bigint: true }).catch((e: Error) => e)
  t.match(await fh.stat({ bigint: true }).catch((e: Error) => e), { code: 'EBADF', syscall: 'fstat', message: (expected as Error).message })
  await fh.close().catch(() => {})
  await theirs.close().catch(() => {})
})
