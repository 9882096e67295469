// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-writefile.js
// (MIT, Node.js contributors). `fsPromises` (fs.promises) is common.fsp; each
// assert (each assert.rejects of a Promise.all's) is a check of its own (see
// common.ts).
import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import * as common from './common'

const { tmpdir, check } = common
const fsPromises = common.fsp
const tmpDir = tmpdir.path

tmpdir.refresh()

const dest = path.resolve(tmpDir, 'tmp.txt')
const otherDest = path.resolve(tmpDir, 'tmp-2.txt')
const buffer = Buffer.from('abc'.repeat(1000))
const buffer2 = Buffer.from('xyz'.repeat(1000))
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

const veryLargeBuffer = {
  expected: 'dogs running'.repeat(512 * 1024),
  * [Symbol.iterator] () {
    yield Buffer.from('dogs running'.repeat(512 * 1024), 'utf8')
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

// Node's types take no iterable (Node 20 does).
const writeFile = fsPromises.writeFile as (file: string, data: unknown, options?: unknown) => Promise<void>

const invalid = [42, 42n, {}, Symbol('42'), true, undefined, null, NaN]

async function doWrite (): Promise<void> {
  await check('doWrite: await fsPromises.writeFile(dest, buffer); assert.deepStrictEqual(data, buffer)', async () => {
    await fsPromises.writeFile(dest, buffer)
    const data = fs.readFileSync(dest)
    assert.deepStrictEqual(data, buffer)
  })
}

async function doWriteStream (): Promise<void> {
  await check("doWriteStream: await fsPromises.writeFile(dest, Readable.from(['a', 'b', 'c'])); assert.deepStrictEqual(data, expected)", async () => {
    await fsPromises.writeFile(dest, stream)
    const expected = 'abc'
    const data = fs.readFileSync(dest, 'utf-8')
    assert.deepStrictEqual(data, expected)
  })
}

async function doWriteStreamWithCancel (): Promise<void> {
  const controller = new AbortController()
  const { signal } = controller
  process.nextTick(() => controller.abort())
  await check("doWriteStreamWithCancel: assert.rejects(fsPromises.writeFile(otherDest, stream, { signal }), { name: 'AbortError' })", () =>
    assert.rejects(
      fsPromises.writeFile(otherDest, stream, { signal }),
      { name: 'AbortError' }
    ))
}

async function doWriteIterable (): Promise<void> {
  await check('doWriteIterable: await fsPromises.writeFile(dest, iterable); assert.deepStrictEqual(data, iterable.expected)', async () => {
    await writeFile(dest, iterable)
    const data = fs.readFileSync(dest, 'utf-8')
    assert.deepStrictEqual(data, iterable.expected)
  })
}

async function doWriteInvalidIterable (): Promise<void> {
  await Promise.all(
    invalid.map((value) =>
      check(`doWriteInvalidIterable: assert.rejects(fsPromises.writeFile(dest, iterableWith(${inspect(value)})), { code: 'ERR_INVALID_ARG_TYPE' })`, () =>
        assert.rejects(writeFile(dest, iterableWith(value)), {
          code: 'ERR_INVALID_ARG_TYPE'
        }))
    )
  )
}

async function doWriteIterableWithEncoding (): Promise<void> {
  await check("doWriteIterableWithEncoding: await fsPromises.writeFile(dest, Readable.from(['ümlaut', ' ', 'sechzig']), 'latin1'); assert.deepStrictEqual(data, expected)", async () => {
    await fsPromises.writeFile(dest, stream2, 'latin1')
    const expected = 'ümlaut sechzig'
    const data = fs.readFileSync(dest, 'latin1')
    assert.deepStrictEqual(data, expected)
  })
}

async function doWriteBufferIterable (): Promise<void> {
  await check('doWriteBufferIterable: await fsPromises.writeFile(dest, bufferIterable); assert.deepStrictEqual(data, bufferIterable.expected)', async () => {
    await writeFile(dest, bufferIterable)
    const data = fs.readFileSync(dest, 'utf-8')
    assert.deepStrictEqual(data, bufferIterable.expected)
  })
}

async function doWriteAsyncIterable (): Promise<void> {
  await check('doWriteAsyncIterable: await fsPromises.writeFile(dest, asyncIterable); assert.deepStrictEqual(data, asyncIterable.expected)', async () => {
    await writeFile(dest, asyncIterable)
    const data = fs.readFileSync(dest, 'utf-8')
    assert.deepStrictEqual(data, asyncIterable.expected)
  })
}

async function doWriteAsyncLargeIterable (): Promise<void> {
  await check('doWriteAsyncLargeIterable: await fsPromises.writeFile(dest, veryLargeBuffer); assert.deepStrictEqual(data, veryLargeBuffer.expected)', async () => {
    await writeFile(dest, veryLargeBuffer)
    const data = fs.readFileSync(dest, 'utf-8')
    assert.deepStrictEqual(data, veryLargeBuffer.expected)
  })
}

async function doWriteInvalidValues (): Promise<void> {
  await Promise.all(
    invalid.map((value) =>
      check(`doWriteInvalidValues: assert.rejects(fsPromises.writeFile(dest, ${inspect(value)}), { code: 'ERR_INVALID_ARG_TYPE' })`, () =>
        assert.rejects(writeFile(dest, value), {
          code: 'ERR_INVALID_ARG_TYPE'
        }))
    )
  )
}

async function doWriteWithCancel (): Promise<void> {
  const controller = new AbortController()
  const { signal } = controller
  process.nextTick(() => controller.abort())
  await check("doWriteWithCancel: assert.rejects(fsPromises.writeFile(otherDest, buffer, { signal }), { name: 'AbortError' })", () =>
    assert.rejects(
      fsPromises.writeFile(otherDest, buffer, { signal }),
      { name: 'AbortError' }
    ))
}

async function doAppend (): Promise<void> {
  await check('doAppend: await fsPromises.appendFile(dest, buffer2, { flag: null }); assert.deepStrictEqual(Buffer.concat([buffer, buffer2]), data)', async () => {
    await fsPromises.appendFile(dest, buffer2, { flag: null } as never)
    const data = fs.readFileSync(dest)
    const buf = Buffer.concat([buffer, buffer2])
    assert.deepStrictEqual(buf, data)
  })
}

async function doRead (): Promise<void> {
  await check('doRead: data = await fsPromises.readFile(dest); assert.deepStrictEqual(fs.readFileSync(dest), data)', async () => {
    const data = await fsPromises.readFile(dest)
    const buf = fs.readFileSync(dest)
    assert.deepStrictEqual(buf, data)
  })
}

async function doReadWithEncoding (): Promise<void> {
  let data: string | undefined
  await check("doReadWithEncoding: data = await fsPromises.readFile(dest, 'utf-8'); assert.strictEqual(typeof data, 'string')", async () => {
    data = await fsPromises.readFile(dest, 'utf-8')
    assert.strictEqual(typeof data, 'string')
  })
  await check("doReadWithEncoding: assert.deepStrictEqual(data, fs.readFileSync(dest, 'utf-8'))", () => {
    const syncData = fs.readFileSync(dest, 'utf-8')
    assert.deepStrictEqual(common.need(data, "fsPromises.readFile(dest, 'utf-8')"), syncData)
  })
}

common.run(async () => {
  await doWrite()
  await doWriteWithCancel()
  await doAppend()
  await doRead()
  await doReadWithEncoding()
  await doWriteStream()
  await doWriteStreamWithCancel()
  await doWriteIterable()
  await doWriteInvalidIterable()
  await doWriteIterableWithEncoding()
  await doWriteBufferIterable()
  await doWriteAsyncIterable()
  await doWriteAsyncLargeIterable()
  await doWriteInvalidValues()
})
