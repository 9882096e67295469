// Ported from Node.js v20.11.1, test/parallel/test-fs-promises.js (MIT,
// Node.js contributors): its FileHandle parts only, the blocks of doTest()
// that open a handle (executeOnHandle), in Node's order. Left out: the
// top-level access() checks and the blocks of fs.promises path functions
// alone (statfs, lutimes, symlink, link, readdir, writeFile, mkdir, mkdtemp).
// `open` is common.open; each assert (each in verifyStatObject too) and each
// handle call no assert covers is a check of its own (see common.ts).
import assert from 'node:assert'
import { access, chmod, chown, copyFile, readFile, stat, truncate, unlink, utimes } from 'node:fs/promises'
import path from 'node:path'
import * as common from './common'

const { open, tmpdir, fixtures, check, settle, got } = common
type Handle = common.Handle

const tmpDir = tmpdir.path

async function verifyStatObject (ctx: string, stat: () => Promise<unknown>): Promise<void> {
  const stats = await settle(stat)
  await check(`${ctx}: verifyStatObject: assert.strictEqual(typeof stat, 'object')`, () =>
    assert.strictEqual(typeof got(stats), 'object'))
  await check(`${ctx}: verifyStatObject: assert.strictEqual(typeof stat.dev, 'number')`, () =>
    assert.strictEqual(typeof (got(stats) as { dev: unknown }).dev, 'number'))
  await check(`${ctx}: verifyStatObject: assert.strictEqual(typeof stat.mode, 'number')`, () =>
    assert.strictEqual(typeof (got(stats) as { mode: unknown }).mode, 'number'))
}

async function getHandle (dest: string): Promise<Handle> {
  await copyFile(fixtures.path('baz.js'), dest)
  await access(dest)

  return open(dest, 'r+')
}

async function executeOnHandle (dest: string, func: (handle: Handle) => Promise<void>): Promise<void> {
  let handle
  try {
    handle = await getHandle(dest)
    await func(handle)
  } finally {
    if (handle) {
      await handle.close()
    }
  }
}

async function doTest (): Promise<void> {
  tmpdir.refresh()

  const dest = path.resolve(tmpDir, 'baz.js')

  // handle is object
  {
    await executeOnHandle(dest, async (handle) => {
      await check("handle is object: assert.strictEqual(typeof handle, 'object')", () =>
        assert.strictEqual(typeof handle, 'object'))
    })
  }

  // file stats
  {
    await executeOnHandle(dest, async (handle) => {
      let stats: unknown
      await verifyStatObject('file stats: stats = await handle.stat()', async () => (stats = await handle.stat()))
      await check('file stats: assert.strictEqual(stats.size, 35)', () =>
        assert.strictEqual((common.need(stats, 'handle.stat()') as { size: number }).size, 35))

      stats = undefined
      await verifyStatObject('file stats: await handle.truncate(1); stats = await handle.stat()', async () => {
        await handle.truncate(1)
        return (stats = await handle.stat())
      })
      await check('file stats: assert.strictEqual(stats.size, 1)', () =>
        assert.strictEqual((common.need(stats, 'handle.truncate(1) or handle.stat()') as { size: number }).size, 1))

      await verifyStatObject('file stats: stats = await stat(dest)', () => stat(dest))

      await verifyStatObject('file stats: stats = await handle.stat() (again)', () => handle.stat())

      await check('file stats: await handle.datasync(); await handle.sync() resolve', async () => {
        await handle.datasync()
        await handle.sync()
      })
    })
  }

  // Test fs.read promises when length to read is zero bytes
  {
    const dest = path.resolve(tmpDir, 'test1.js')
    await executeOnHandle(dest, async (handle) => {
      const buf = Buffer.from('DAWGS WIN')
      const bufLen = buf.length
      await check('read of zero bytes: await handle.write(buf); ret = await handle.read(Buffer.alloc(bufLen), 0, 0, 0); assert.strictEqual(ret.bytesRead, 0)', async () => {
        await handle.write(buf)
        const ret = await handle.read(Buffer.alloc(bufLen), 0, 0, 0)
        assert.strictEqual(ret.bytesRead, 0)
      })

      await unlink(dest)
    })
  }

  // Use fallback buffer allocation when first argument is null
  {
    await executeOnHandle(dest, async (handle) => {
      await check('fallback buffer when the first argument is null: ret = await handle.read(null, 0, 0, 0); assert.strictEqual(ret.buffer.length, 16384)', async () => {
        const ret = await handle.read(null, 0, 0, 0)
        assert.strictEqual(ret.buffer.length, 16384)
      })
    })
  }

  // TypeError if buffer is not ArrayBufferView or nullable object
  {
    await executeOnHandle(dest, async (handle) => {
      await check("buffer not an ArrayBufferView or nullable object: assert.rejects(async () => handle.read(0, 0, 0, 0), { code: 'ERR_INVALID_ARG_TYPE' })", () =>
        assert.rejects(
          async () => handle.read(0, 0, 0, 0),
          { code: 'ERR_INVALID_ARG_TYPE' }
        ))
    })
  }

  // Bytes written to file match buffer
  {
    await executeOnHandle(dest, async (handle) => {
      const buf = Buffer.from('hello fsPromises')
      const bufLen = buf.length
      const ret = await settle(async () => {
        await handle.write(buf)
        return handle.read(Buffer.alloc(bufLen), 0, bufLen, 0)
      })
      await check('bytes written match the buffer: await handle.write(buf); ret = await handle.read(Buffer.alloc(bufLen), 0, bufLen, 0); assert.strictEqual(ret.bytesRead, bufLen)', () =>
        assert.strictEqual(got(ret).bytesRead, bufLen))
      await check('bytes written match the buffer: assert.deepStrictEqual(ret.buffer, buf)', () =>
        assert.deepStrictEqual(got(ret).buffer, buf))
    })
  }

  // Truncate file to specified length
  {
    await executeOnHandle(dest, async (handle) => {
      const buf = Buffer.from('hello FileHandle')
      const bufLen = buf.length
      const ret = await settle(async () => {
        await handle.write(buf, 0, bufLen, 0)
        return handle.read(Buffer.alloc(bufLen), 0, bufLen, 0)
      })
      await check('truncate to a length: await handle.write(buf, 0, bufLen, 0); ret = await handle.read(Buffer.alloc(bufLen), 0, bufLen, 0); assert.strictEqual(ret.bytesRead, bufLen)', () =>
        assert.strictEqual(got(ret).bytesRead, bufLen))
      await check('truncate to a length: assert.deepStrictEqual(ret.buffer, buf)', () =>
        assert.deepStrictEqual(got(ret).buffer, buf))
      await check("truncate to a length: await truncate(dest, 5); assert.strictEqual((await readFile(dest)).toString(), 'hello')", async () => {
        got(ret)
        await truncate(dest, 5)
        assert.strictEqual((await readFile(dest)).toString(), 'hello')
      })
    })
  }

  // Invalid change of ownership
  {
    await executeOnHandle(dest, async (handle) => {
      await chmod(dest, 0o666)
      await check('change of ownership: await handle.chmod(0o666) resolves', () => handle.chmod(0o666))

      await chmod(dest, (0o10777))
      await check('change of ownership: await handle.chmod(0o10777) resolves', () => handle.chmod(0o10777))

      if (!common.isWindows) {
        await chown(dest, process.getuid!(), process.getgid!())
        await check('change of ownership: await handle.chown(process.getuid(), process.getgid()) resolves', () =>
          handle.chown(process.getuid!(), process.getgid!()))
      }

      await check("change of ownership: assert.rejects(async () => { await chown(dest, 1, -2) }, { code: 'ERR_OUT_OF_RANGE', name: 'RangeError', message: … })", () =>
        assert.rejects(
          async () => {
            await chown(dest, 1, -2)
          },
          {
            code: 'ERR_OUT_OF_RANGE',
            name: 'RangeError',
            message: 'The value of "gid" is out of range. ' +
                     'It must be >= -1 && <= 4294967295. Received -2'
          }))

      await check("change of ownership: assert.rejects(async () => { await handle.chown(1, -2) }, { code: 'ERR_OUT_OF_RANGE', name: 'RangeError', message: 'The value of \"gid\" is out of range. It must be >= -1 && <= 4294967295. Received -2' })", () =>
        assert.rejects(
          async () => {
            await handle.chown(1, -2)
          },
          {
            code: 'ERR_OUT_OF_RANGE',
            name: 'RangeError',
            message: 'The value of "gid" is out of range. ' +
                      'It must be >= -1 && <= 4294967295. Received -2'
          }))
    })
  }

  // Set modification times
  {
    await executeOnHandle(dest, async (handle) => {
      await utimes(dest, new Date(), new Date())

      await check("modification times: await handle.utimes(new Date(), new Date()) resolves (or rejects ENOSYS: common.expectsError({ code: 'ENOSYS', name: 'Error' }))", async () => {
        try {
          await handle.utimes(new Date(), new Date())
        } catch (err) {
          // Some systems do not have futimes. If there is an error,
          // expect it to be ENOSYS
          common.expectsError({
            code: 'ENOSYS',
            name: 'Error'
          })(err)
        }
      })
    })
  }

  // Regression test for https://github.com/nodejs/node/issues/38168
  {
    await executeOnHandle(dest, async (handle) => {
      await check("write('abc', 0, 'hex') (nodejs/node#38168): assert.rejects(async () => handle.write('abc', 0, 'hex'), { code: 'ERR_INVALID_ARG_VALUE', message: /'encoding' is invalid for data of length 3/ })", () =>
        assert.rejects(
          async () => handle.write('abc', 0, 'hex'),
          {
            code: 'ERR_INVALID_ARG_VALUE',
            message: /'encoding' is invalid for data of length 3/
          }
        ))

      await check("write('abcd', 0, 'hex') (nodejs/node#38168): ret = await handle.write('abcd', 0, 'hex'); assert.strictEqual(ret.bytesWritten, 2)", async () => {
        const ret = await handle.write('abcd', 0, 'hex')
        assert.strictEqual(ret.bytesWritten, 2)
      })
    })
  }

  // Test prototype methods calling with contexts other than FileHandle
  {
    await executeOnHandle(dest, async (handle) => {
      await check("prototype methods called on other objects: assert.rejects(() => handle.stat.call({}), { code: 'ERR_INTERNAL_ASSERTION', message: /handle must be an instance of FileHandle/ })", () =>
        assert.rejects(() => handle.stat.call({}), {
          code: 'ERR_INTERNAL_ASSERTION',
          message: /handle must be an instance of FileHandle/
        }))
    })
  }
}

common.run(doTest)
