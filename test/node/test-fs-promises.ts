// Ported from Node.js v20.11.1, test/parallel/test-fs-promises.js (MIT,
// Node.js contributors): all of it but its first assert, that Node's `fs`
// has `promises` as an enumerable property (a fact of Node's fs module, with
// no counterpart here: the project's main module has no `promises`). The
// fs.promises functions it takes are common.fsp's (see common.ts), `open`
// is common.open; each assert (each in verifyStatObject and
// verifyStatFsObject too), each assert.rejects, and each call of fsp that
// no assert covers is a check of its own.
import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import * as common from './common'

const { open, tmpdir, fixtures, check, settle, got, fsp } = common
type Handle = common.Handle
const fsPromises = fsp
const {
  access,
  chmod,
  chown,
  copyFile,
  lchown,
  link,
  lchmod,
  lstat,
  lutimes,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  realpath,
  rename,
  rmdir,
  stat,
  statfs,
  symlink,
  truncate,
  unlink,
  utimes,
  writeFile
} = fsPromises

const tmpDir = tmpdir.path

let dirc = 0
function nextdir (): string {
  return `test${++dirc}`
}

async function accessChecks (): Promise<void> {
  await check('access: access(__filename, 0).then(common.mustCall())', () =>
    access(__filename, 0))

  await check("access: assert.rejects(access('this file does not exist', 0), { code: 'ENOENT', name: 'Error', message: /^ENOENT: no such file or directory, access/ })", () =>
    assert.rejects(
      access('this file does not exist', 0),
      {
        code: 'ENOENT',
        name: 'Error',
        message: /^ENOENT: no such file or directory, access/
      }
    ))

  await check("access: assert.rejects(access(__filename, 8), { code: 'ERR_OUT_OF_RANGE' })", () =>
    assert.rejects(
      access(__filename, 8),
      {
        code: 'ERR_OUT_OF_RANGE'
      }
    ))

  await check("access: assert.rejects(access(__filename, { [Symbol.toPrimitive]() { return 5 } }), { code: 'ERR_INVALID_ARG_TYPE' })", () =>
    assert.rejects(
      access(__filename, { [Symbol.toPrimitive] () { return 5 } } as never),
      {
        code: 'ERR_INVALID_ARG_TYPE'
      }
    ))
}

async function verifyStatObject (ctx: string, stat: () => Promise<unknown>): Promise<void> {
  const stats = await settle(stat)
  await check(`${ctx}: verifyStatObject: assert.strictEqual(typeof stat, 'object')`, () =>
    assert.strictEqual(typeof got(stats), 'object'))
  await check(`${ctx}: verifyStatObject: assert.strictEqual(typeof stat.dev, 'number')`, () =>
    assert.strictEqual(typeof (got(stats) as { dev: unknown }).dev, 'number'))
  await check(`${ctx}: verifyStatObject: assert.strictEqual(typeof stat.mode, 'number')`, () =>
    assert.strictEqual(typeof (got(stats) as { mode: unknown }).mode, 'number'))
}

async function verifyStatFsObject (ctx: string, statFs: () => Promise<unknown>, isBigint = false): Promise<void> {
  const valueType = isBigint ? 'bigint' : 'number'
  const stats = await settle(statFs)
  await check(`${ctx}: verifyStatFsObject: assert.strictEqual(typeof stat, 'object')`, () =>
    assert.strictEqual(typeof got(stats), 'object'))
  for (const field of ['type', 'bsize', 'blocks', 'bfree', 'bavail', 'files', 'ffree']) {
    await check(`${ctx}: verifyStatFsObject: assert.strictEqual(typeof stat.${field}, '${valueType}')`, () =>
      assert.strictEqual(typeof (got(stats) as Record<string, unknown>)[field], valueType))
  }
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

  // File system stats
  {
    await verifyStatFsObject('file system stats: statFs = await statfs(dest)', () => statfs(dest))
  }

  // File system stats bigint
  {
    await verifyStatFsObject('file system stats bigint: statFs = await statfs(dest, { bigint: true })', () =>
      statfs(dest, { bigint: true }), true)
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

  // Set modification times with lutimes
  {
    const aTime = new Date()
    aTime.setMinutes(aTime.getMinutes() - 1)
    const mTime = new Date()
    mTime.setHours(mTime.getHours() - 1)
    const stats = await settle(async () => {
      await lutimes(dest, aTime, mTime)
      return stat(dest)
    })

    await check('modification times with lutimes: await lutimes(dest, a_time, m_time); stats = await stat(dest); assert.strictEqual(a_time.toString(), stats.atime.toString())', () =>
      assert.strictEqual(aTime.toString(), got(stats).atime.toString()))
    await check('modification times with lutimes: assert.strictEqual(m_time.toString(), stats.mtime.toString())', () =>
      assert.strictEqual(mTime.toString(), got(stats).mtime.toString()))
  }

  // create symlink
  {
    const newPath = path.resolve(tmpDir, 'baz2.js')
    await verifyStatObject('create symlink: await rename(dest, newPath); stats = await stat(newPath)', async () => {
      await rename(dest, newPath)
      return stat(newPath)
    })

    if (common.canCreateSymLink()) {
      const newLink = path.resolve(tmpDir, 'baz3.js')
      await verifyStatObject('create symlink: await symlink(newPath, newLink); await lchown(newLink, process.getuid(), process.getgid()); stats = await lstat(newLink)', async () => {
        await symlink(newPath, newLink)
        if (!common.isWindows) {
          await lchown(newLink, process.getuid!(), process.getgid!())
        }
        return lstat(newLink)
      })

      await check('create symlink: assert.strictEqual(newPath.toLowerCase(), (await realpath(newLink)).toLowerCase())', async () =>
        assert.strictEqual(newPath.toLowerCase(),
          (await realpath(newLink)).toLowerCase()))
      await check('create symlink: assert.strictEqual(newPath.toLowerCase(), (await readlink(newLink)).toLowerCase())', async () =>
        assert.strictEqual(newPath.toLowerCase(),
          (await readlink(newLink)).toLowerCase()))

      const newMode = 0o666
      if (common.isOSX) {
        // `lchmod` is only available on macOS.
        await check('create symlink: await lchmod(newLink, newMode); stats = await lstat(newLink); assert.strictEqual(stats.mode & 0o777, newMode)', async () => {
          await lchmod(newLink, newMode)
          const stats = await lstat(newLink)
          assert.strictEqual(stats.mode & 0o777, newMode)
        })
      } else {
        await check("create symlink: assert.rejects(lchmod(newLink, newMode), common.expectsError({ code: 'ERR_METHOD_NOT_IMPLEMENTED', name: 'Error', message: 'The lchmod() method is not implemented' }))", () =>
          Promise.all([
            assert.rejects(
              lchmod(newLink, newMode),
              common.expectsError({
                code: 'ERR_METHOD_NOT_IMPLEMENTED',
                name: 'Error',
                message: 'The lchmod() method is not implemented'
              })
            )
          ]))
      }

      await check('create symlink: await unlink(newLink) resolves', () => unlink(newLink))
    }
  }

  // specify symlink type
  {
    const dir = path.join(tmpDir, nextdir())
    await check("specify symlink type: await symlink(tmpDir, dir, 'dir'); stats = await lstat(dir); assert.strictEqual(stats.isSymbolicLink(), true)", async () => {
      await symlink(tmpDir, dir, 'dir')
      const stats = await lstat(dir)
      assert.strictEqual(stats.isSymbolicLink(), true)
    })
    await check('specify symlink type: await unlink(dir) resolves', () => unlink(dir))
  }

  // create hard link
  {
    const newPath = path.resolve(tmpDir, 'baz2.js')
    const newLink = path.resolve(tmpDir, 'baz4.js')
    await check('create hard link: await link(newPath, newLink) resolves', () => link(newPath, newLink))

    await check('create hard link: await unlink(newLink) resolves', () => unlink(newLink))
  }

  // Testing readdir lists both files and directories
  {
    const newDir = path.resolve(tmpDir, 'dir')
    const newFile = path.resolve(tmpDir, 'foo.js')

    await check("readdir lists files and directories: await mkdir(newDir); await writeFile(newFile, 'DAWGS WIN!', 'utf8'); stats = await stat(newDir); assert(stats.isDirectory())", async () => {
      await mkdir(newDir)
      await writeFile(newFile, 'DAWGS WIN!', 'utf8')

      const stats = await stat(newDir)
      assert(stats.isDirectory())
    })
    const list = await settle(() => readdir(tmpDir))
    await check("readdir lists files and directories: list = await readdir(tmpDir); assert.notStrictEqual(list.indexOf('dir'), -1)", () =>
      assert.notStrictEqual(got(list).indexOf('dir'), -1))
    await check("readdir lists files and directories: assert.notStrictEqual(list.indexOf('foo.js'), -1)", () =>
      assert.notStrictEqual(got(list).indexOf('foo.js'), -1))
    await check('readdir lists files and directories: await rmdir(newDir) resolves', () => rmdir(newDir))
    await check('readdir lists files and directories: await unlink(newFile) resolves', () => unlink(newFile))
  }

  // Use fallback encoding when input is null
  {
    const newFile = path.resolve(tmpDir, 'dogs_running.js')
    await check("fallback encoding when it is null: await writeFile(newFile, 'dogs running', { encoding: null }); assert.strictEqual(fs.existsSync(newFile), true)", async () => {
      await writeFile(newFile, 'dogs running', { encoding: null })
      const fileExists = fs.existsSync(newFile)
      assert.strictEqual(fileExists, true)
    })
  }

  // `mkdir` when options is number.
  {
    const dir = path.join(tmpDir, nextdir())
    await check('mkdir when options is a number: await mkdir(dir, 777); stats = await stat(dir); assert(stats.isDirectory())', async () => {
      await mkdir(dir, 777)
      const stats = await stat(dir)
      assert(stats.isDirectory())
    })
  }

  // `mkdir` when options is string.
  {
    const dir = path.join(tmpDir, nextdir())
    await check("mkdir when options is a string: await mkdir(dir, '777'); stats = await stat(dir); assert(stats.isDirectory())", async () => {
      await mkdir(dir, '777')
      const stats = await stat(dir)
      assert(stats.isDirectory())
    })
  }

  // `mkdirp` when folder does not yet exist.
  {
    const dir = path.join(tmpDir, nextdir(), nextdir())
    await check('mkdirp when the folder does not yet exist: await mkdir(dir, { recursive: true }); stats = await stat(dir); assert(stats.isDirectory())', async () => {
      await mkdir(dir, { recursive: true })
      const stats = await stat(dir)
      assert(stats.isDirectory())
    })
  }

  // `mkdirp` when path is a file.
  {
    const dir = path.join(tmpDir, nextdir(), nextdir())
    await check("mkdirp when the path is a file: await mkdir(path.dirname(dir)); await writeFile(dir, ''); assert.rejects(mkdir(dir, { recursive: true }), { code: 'EEXIST', message: /EEXIST: .*mkdir/, name: 'Error', syscall: 'mkdir' })", async () => {
      await mkdir(path.dirname(dir))
      await writeFile(dir, '')
      await assert.rejects(
        mkdir(dir, { recursive: true }),
        {
          code: 'EEXIST',
          message: /EEXIST: .*mkdir/,
          name: 'Error',
          syscall: 'mkdir'
        }
      )
    })
  }

  // `mkdirp` when part of the path is a file.
  {
    const file = path.join(tmpDir, nextdir(), nextdir())
    const dir = path.join(file, nextdir(), nextdir())
    await check("mkdirp when part of the path is a file: await mkdir(path.dirname(file)); await writeFile(file, ''); assert.rejects(mkdir(dir, { recursive: true }), { code: 'ENOTDIR', message: /ENOTDIR: .*mkdir/, name: 'Error', syscall: 'mkdir' })", async () => {
      await mkdir(path.dirname(file))
      await writeFile(file, '')
      await assert.rejects(
        mkdir(dir, { recursive: true }),
        {
          code: 'ENOTDIR',
          message: /ENOTDIR: .*mkdir/,
          name: 'Error',
          syscall: 'mkdir'
        }
      )
    })
  }

  // mkdirp ./
  {
    const dir = path.resolve(tmpDir, `${nextdir()}/./${nextdir()}`)
    await check('mkdirp ./: await mkdir(dir, { recursive: true }); stats = await stat(dir); assert(stats.isDirectory())', async () => {
      await mkdir(dir, { recursive: true })
      const stats = await stat(dir)
      assert(stats.isDirectory())
    })
  }

  // mkdirp ../
  {
    const dir = path.resolve(tmpDir, `${nextdir()}/../${nextdir()}`)
    await check('mkdirp ../: await mkdir(dir, { recursive: true }); stats = await stat(dir); assert(stats.isDirectory())', async () => {
      await mkdir(dir, { recursive: true })
      const stats = await stat(dir)
      assert(stats.isDirectory())
    })
  }

  // fs.mkdirp requires the recursive option to be of type boolean.
  // Everything else generates an error.
  {
    const dir = path.join(tmpDir, nextdir(), nextdir())
    const values: Array<[unknown, string]> = [
      ['', "''"], [1, '1'], [{}, '{}'], [[], '[]'], [null, 'null'], [Symbol('test'), "Symbol('test')"], [() => {}, '() => {}']
    ]
    for (const [recursive, shown] of values) {
      await check(`recursive not a boolean: assert.rejects(async () => mkdir(dir, { recursive: ${shown} }), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' })`, () =>
        assert.rejects(
          // mkdir() expects to get a boolean value for options.recursive.
          async () => mkdir(dir, { recursive } as never),
          {
            code: 'ERR_INVALID_ARG_TYPE',
            name: 'TypeError'
          }
        ))
    }
  }

  // `mkdtemp` with invalid numeric prefix
  {
    await check("mkdtemp with an invalid numeric prefix: await mkdtemp(path.resolve(tmpDir, 'FOO')) resolves", () =>
      mkdtemp(path.resolve(tmpDir, 'FOO')))
    await check("mkdtemp with an invalid numeric prefix: assert.rejects(async () => mkdtemp(1), { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' })", () =>
      assert.rejects(
        // mkdtemp() expects to get a string prefix.
        async () => mkdtemp(1 as never),
        {
          code: 'ERR_INVALID_ARG_TYPE',
          name: 'TypeError'
        }
      ))
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

common.run(async () => {
  await accessChecks()
  await doTest()
})
