// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-readFile.js
// (MIT, Node.js contributors). `open` is common.open, and readFile(fileHandle, …)
// is common.readFile (fs.promises.readFile; the handle's own readFile() for a
// project handle: see common.ts). Each assert is a check of its own.
import assert from 'node:assert'
import fs from 'node:fs'
import { truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import * as common from './common'

const { open, readFile, tmpdir, tick, check } = common

// The following tests validate base functionality for the fs.promises
// FileHandle.readFile method.

const tmpDir = tmpdir.path

tmpdir.refresh()

async function validateReadFile (): Promise<void> {
  const filePath = path.resolve(tmpDir, 'tmp-read-file.txt')
  const fileHandle = await open(filePath, 'w+')
  const buffer = Buffer.from('Hello world'.repeat(100), 'utf8')

  const fd = fs.openSync(filePath, 'w+')
  fs.writeSync(fd, buffer, 0, buffer.length)
  fs.closeSync(fd)

  await check('validateReadFile: readFileData = await fileHandle.readFile(); assert.deepStrictEqual(buffer, readFileData)', async () => {
    const readFileData = await fileHandle.readFile()
    assert.deepStrictEqual(buffer, readFileData)
  })

  await fileHandle.close()
}

async function validateReadFileProc (): Promise<void> {
  // Test to make sure reading a file under the /proc directory works. Adapted
  // from test-fs-read-file-sync-hostname.js.
  // Refs:
  // - https://groups.google.com/forum/#!topic/nodejs-dev/rxZ_RoH1Gn0
  // - https://github.com/nodejs/node/issues/21331

  // Test is Linux-specific.
  if (!common.isLinux) { return }

  const fileHandle = await open('/proc/sys/kernel/hostname', 'r')
  await check("validateReadFileProc: hostname = await fileHandle.readFile() ('/proc/sys/kernel/hostname'); assert.ok(hostname.length > 0)", async () => {
    const hostname = await fileHandle.readFile()
    assert.ok(hostname.length > 0)
  })
}

async function doReadAndCancel (): Promise<void> {
  // Signal aborted from the start
  {
    const filePathForHandle = path.resolve(tmpDir, 'dogs-running.txt')
    const fileHandle = await open(filePathForHandle, 'w+')
    try {
      const buffer = Buffer.from('Dogs running'.repeat(10000), 'utf8')
      fs.writeFileSync(filePathForHandle, buffer)
      const signal = AbortSignal.abort()
      await check("doReadAndCancel, signal aborted from the start: assert.rejects(readFile(fileHandle, { signal }), { name: 'AbortError' })", () =>
        assert.rejects(readFile(fileHandle, common.mustNotMutateObjectDeep({ signal })), {
          name: 'AbortError'
        }))
    } finally {
      await fileHandle.close()
    }
  }

  // Signal aborted on first tick
  {
    const filePathForHandle = path.resolve(tmpDir, 'dogs-running1.txt')
    const fileHandle = await open(filePathForHandle, 'w+')
    const buffer = Buffer.from('Dogs running'.repeat(10000), 'utf8')
    fs.writeFileSync(filePathForHandle, buffer)
    const controller = new AbortController()
    const { signal } = controller
    await check("doReadAndCancel, signal aborted on first tick: assert.rejects(readFile(fileHandle, { signal }), { name: 'AbortError' }, 'tick-0')", () => {
      process.nextTick(() => controller.abort())
      return assert.rejects(readFile(fileHandle, common.mustNotMutateObjectDeep({ signal })), {
        name: 'AbortError'
      }, 'tick-0')
    })
    await fileHandle.close()
  }

  // Signal aborted right before buffer read
  {
    const newFile = path.resolve(tmpDir, 'dogs-running2.txt')
    const buffer = Buffer.from('Dogs running'.repeat(1000), 'utf8')
    fs.writeFileSync(newFile, buffer)

    const fileHandle = await open(newFile, 'r')

    const controller = new AbortController()
    const { signal } = controller
    await check("doReadAndCancel, signal aborted right before buffer read: assert.rejects(fileHandle.readFile({ signal, encoding: 'utf8' }), { name: 'AbortError' }, 'tick-1')", () => {
      tick(1, () => controller.abort())
      return assert.rejects(fileHandle.readFile(common.mustNotMutateObjectDeep({ signal, encoding: 'utf8' })), {
        name: 'AbortError'
      }, 'tick-1')
    })

    await fileHandle.close()
  }

  // Validate file size is within range for reading
  {
    // Variable taken from https://github.com/nodejs/node/blob/1377163f3351/lib/internal/fs/promises.js#L5
    const kIoMaxLength = 2 ** 31 - 1

    if (!tmpdir.hasEnoughSpace(kIoMaxLength)) {
      // truncate() will fail with ENOSPC if there is not enough space.
      common.printSkipMessage(`Not enough space in ${tmpDir}`)
    } else {
      const newFile = path.resolve(tmpDir, 'dogs-running3.txt')
      await writeFile(newFile, Buffer.from('0'))
      await truncate(newFile, kIoMaxLength + 1)

      const fileHandle = await open(newFile, 'r')

      await check("doReadAndCancel, file of 2 ** 31 bytes: assert.rejects(fileHandle.readFile(), { name: 'RangeError', code: 'ERR_FS_FILE_TOO_LARGE' })", () =>
        assert.rejects(fileHandle.readFile(), {
          name: 'RangeError',
          code: 'ERR_FS_FILE_TOO_LARGE'
        }), { timeout: 60_000 })
      await fileHandle.close()
    }
  }
}

common.run(async () => {
  await validateReadFile()
  await validateReadFileProc()
  await doReadAndCancel()
})
