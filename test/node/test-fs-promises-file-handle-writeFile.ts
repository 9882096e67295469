// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-writeFile.js
// (MIT, Node.js contributors). `open` is common.open, and writeFile(fileHandle, …)
// is common.writeFile (fs.promises.writeFile; the handle's own writeFile() for a
// project handle: see common.ts). Each assert (each value of a Promise.all's)
// is a check of its own.
import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import * as common from './common'

const { open, writeFile, tmpdir, check } = common

// The following tests validate base functionality for the fs.promises
// FileHandle.writeFile method.

const tmpDir = tmpdir.path

tmpdir.refresh()

async function validateWriteFile (): Promise<void> {
  const filePathForHandle = path.resolve(tmpDir, 'tmp-write-file2.txt')
  const fileHandle = await open(filePathForHandle, 'w+')
  try {
    const buffer = Buffer.from('Hello world'.repeat(100), 'utf8')

    await check('validateWriteFile: await fileHandle.writeFile(buffer); assert.deepStrictEqual(buffer, readFileData)', async () => {
      await fileHandle.writeFile(buffer)
      const readFileData = fs.readFileSync(filePathForHandle)
      assert.deepStrictEqual(buffer, readFileData)
    })
  } finally {
    await fileHandle.close()
  }
}

// Signal aborted while writing file
async function doWriteAndCancel (): Promise<void> {
  const filePathForHandle = path.resolve(tmpDir, 'dogs-running.txt')
  const fileHandle = await open(filePathForHandle, 'w+')
  try {
    const buffer = Buffer.from('dogs running'.repeat(512 * 1024), 'utf8')
    const controller = new AbortController()
    const { signal } = controller
    await check("doWriteAndCancel: process.nextTick(() => controller.abort()); assert.rejects(writeFile(fileHandle, buffer, { signal }), { name: 'AbortError' })", () => {
      process.nextTick(() => controller.abort())
      return assert.rejects(writeFile(fileHandle, buffer, { signal }), {
        name: 'AbortError'
      })
    })
  } finally {
    await fileHandle.close()
  }
}

const dest = path.resolve(tmpDir, 'tmp.txt')
const otherDest = path.resolve(tmpDir, 'tmp-2.txt')
const stream = Readable.from(['a', 'b', 'c'])
const stream2 = Readable.from(['ümlaut', ' ', 'sechzig'])
const iterable = {
  expected: 'abc',
  * [Symbol.iterator] () {
    yield 'a'
    yield 'b'
    yield 'c'
  }
}
function iterableWith (value: unknown): Iterable<unknown> {
  return {
    * [Symbol.iterator] () {
      yield value
    }
  }
}
const bufferIterable = {
  expected: 'abc',
  * [Symbol.iterator] () {
    yield Buffer.from('a')
    yield Buffer.from('b')
    yield Buffer.from('c')
  }
}
const asyncIterable = {
  expected: 'abc',
  async * [Symbol.asyncIterator] () {
    yield 'a'
    yield 'b'
    yield 'c'
  }
}

async function doWriteStream (): Promise<void> {
  const fileHandle = await open(dest, 'w+')
  try {
    await check("doWriteStream: await fileHandle.writeFile(Readable.from(['a', 'b', 'c'])); assert.deepStrictEqual(data, expected)", async () => {
      await fileHandle.writeFile(stream)
      const expected = 'abc'
      const data = fs.readFileSync(dest, 'utf-8')
      assert.deepStrictEqual(data, expected)
    })
  } finally {
    await fileHandle.close()
  }
}

async function doWriteStreamWithCancel (): Promise<void> {
  const controller = new AbortController()
  const { signal } = controller
  process.nextTick(() => controller.abort())
  const fileHandle = await open(otherDest, 'w+')
  try {
    await check("doWriteStreamWithCancel: assert.rejects(fileHandle.writeFile(stream, { signal }), { name: 'AbortError' })", () =>
      assert.rejects(
        fileHandle.writeFile(stream, { signal }),
        { name: 'AbortError' }
      ))
  } finally {
    await fileHandle.close()
  }
}

async function doWriteIterable (): Promise<void> {
  const fileHandle = await open(dest, 'w+')
  try {
    await check('doWriteIterable: await fileHandle.writeFile(iterable); assert.deepStrictEqual(data, iterable.expected)', async () => {
      await fileHandle.writeFile(iterable)
      const data = fs.readFileSync(dest, 'utf-8')
      assert.deepStrictEqual(data, iterable.expected)
    })
  } finally {
    await fileHandle.close()
  }
}

async function doWriteInvalidIterable (): Promise<void> {
  const fileHandle = await open(dest, 'w+')
  try {
    await Promise.all(
      [42, 42n, {}, Symbol('42'), true, undefined, null, NaN].map((value) =>
        check(`doWriteInvalidIterable: assert.rejects(fileHandle.writeFile(iterableWith(${inspect(value)})), { code: 'ERR_INVALID_ARG_TYPE' })`, () =>
          assert.rejects(
            fileHandle.writeFile(iterableWith(value)),
            { code: 'ERR_INVALID_ARG_TYPE' }
          ))
      )
    )
  } finally {
    await fileHandle.close()
  }
}

async function doWriteIterableWithEncoding (): Promise<void> {
  const fileHandle = await open(dest, 'w+')
  try {
    await check("doWriteIterableWithEncoding: await fileHandle.writeFile(Readable.from(['ümlaut', ' ', 'sechzig']), 'latin1'); assert.deepStrictEqual(data, expected)", async () => {
      await fileHandle.writeFile(stream2, 'latin1')
      const expected = 'ümlaut sechzig'
      const data = fs.readFileSync(dest, 'latin1')
      assert.deepStrictEqual(data, expected)
    })
  } finally {
    await fileHandle.close()
  }
}

async function doWriteBufferIterable (): Promise<void> {
  const fileHandle = await open(dest, 'w+')
  try {
    await check('doWriteBufferIterable: await fileHandle.writeFile(bufferIterable); assert.deepStrictEqual(data, bufferIterable.expected)', async () => {
      await fileHandle.writeFile(bufferIterable)
      const data = fs.readFileSync(dest, 'utf-8')
      assert.deepStrictEqual(data, bufferIterable.expected)
    })
  } finally {
    await fileHandle.close()
  }
}

async function doWriteAsyncIterable (): Promise<void> {
  const fileHandle = await open(dest, 'w+')
  try {
    await check('doWriteAsyncIterable: await fileHandle.writeFile(asyncIterable); assert.deepStrictEqual(data, asyncIterable.expected)', async () => {
      await fileHandle.writeFile(asyncIterable)
      const data = fs.readFileSync(dest, 'utf-8')
      assert.deepStrictEqual(data, asyncIterable.expected)
    })
  } finally {
    await fileHandle.close()
  }
}

async function doWriteInvalidValues (): Promise<void> {
  const fileHandle = await open(dest, 'w+')
  try {
    await Promise.all(
      [42, 42n, {}, Symbol('42'), true, undefined, null, NaN].map((value) =>
        check(`doWriteInvalidValues: assert.rejects(fileHandle.writeFile(${inspect(value)}), { code: 'ERR_INVALID_ARG_TYPE' })`, () =>
          assert.rejects(
            fileHandle.writeFile(value),
            { code: 'ERR_INVALID_ARG_TYPE' }
          ))
      )
    )
  } finally {
    await fileHandle.close()
  }
}

common.run(async () => {
  await validateWriteFile()
  await doWriteAndCancel()
  await doWriteStream()
  await doWriteStreamWithCancel()
  await doWriteIterable()
  await doWriteInvalidIterable()
  await doWriteIterableWithEncoding()
  await doWriteBufferIterable()
  await doWriteAsyncIterable()
  await doWriteInvalidValues()
})
