// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-read.js
// (MIT, Node.js contributors). `open` is common.open, and
// fs.createReadStream(null, { fd: handle }) is common.createReadStream (the
// handle's own createReadStream() for a project handle: see common.ts).
// Each assert, and each mustCall, is a check of its own.
import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import { inspect } from 'node:util'
import * as common from './common'

const { open, tmpdir, fixtures, check, settle, got } = common
type Handle = common.Handle

// The following tests validate base functionality for the fs.promises
// FileHandle.read method.

const tmpDir = tmpdir.path

async function read (fileHandle: Handle, buffer: Buffer, offset: number, length: number | null | undefined,
  position: number, options?: { useConf?: boolean }): Promise<{ bytesRead: number, buffer: Buffer }> {
  return options?.useConf === true
    ? fileHandle.read({ buffer, offset, length, position })
    : fileHandle.read(buffer, offset, length, position)
}

async function validateRead (data: string, file: string, options: { useConf: boolean }): Promise<void> {
  const ctx = `validateRead(${inspect(data)}, ${inspect(file)}, { useConf: ${options.useConf} })`
  const filePath = path.resolve(tmpDir, file)
  const buffer = Buffer.from(data, 'utf8')

  const fd = fs.openSync(filePath, 'w+')
  const fileHandle = await open(filePath, 'w+')
  const streamFileHandle = await open(filePath, 'w+')

  fs.writeSync(fd, buffer, 0, buffer.length)
  fs.closeSync(fd)

  const closed = common.mustCall(undefined, 1, { title: `${ctx}: fileHandle.on('close', common.mustCall())` })
  await common.attempt(() => fileHandle.on('close', closed), closed)
  const readAsyncHandle = await settle(() => read(fileHandle, Buffer.alloc(11), 0, 11, 0, options))
  await check(`${ctx}: readAsyncHandle = await read(fileHandle, Buffer.alloc(11), 0, 11, 0, options); assert.deepStrictEqual(data.length, readAsyncHandle.bytesRead)`, () =>
    assert.deepStrictEqual(data.length, got(readAsyncHandle).bytesRead))
  if (data.length) {
    await check(`${ctx}: assert.deepStrictEqual(buffer, readAsyncHandle.buffer)`, () =>
      assert.deepStrictEqual(buffer, got(readAsyncHandle).buffer))
  }
  await fileHandle.close()

  const streamData = await settle(async () => {
    const stream = fs.createReadStream(null as never, { fd: streamFileHandle })
    let streamData = Buffer.alloc(0)
    for await (const chunk of stream) { streamData = Buffer.from(chunk as Buffer) }
    return streamData
  })
  await check(`${ctx}: for await (const chunk of fs.createReadStream(null, { fd: streamFileHandle })) …; assert.deepStrictEqual(buffer, streamData)`, () =>
    assert.deepStrictEqual(buffer, got(streamData)))
  if (data.length) {
    await check(`${ctx}: assert.deepStrictEqual(streamData, readAsyncHandle.buffer)`, () =>
      assert.deepStrictEqual(got(streamData), got(readAsyncHandle).buffer))
  }
  await streamFileHandle.close()
}

async function validateLargeRead (options: { useConf: boolean }): Promise<void> {
  // Reading beyond file length (3 in this case) should return no data.
  // This is a test for a bug where reads > uint32 would return data
  // from the current position in the file.
  const filePath = fixtures.path('x.txt')
  const fileHandle = await open(filePath, 'r')
  const pos = 0xffffffff + 1 // max-uint32 + 1
  await check(`validateLargeRead({ useConf: ${options.useConf} }): readHandle = await read(fileHandle, Buffer.alloc(1), 0, 1, 2 ** 32, options); assert.strictEqual(readHandle.bytesRead, 0)`, async () => {
    const readHandle = await read(fileHandle, Buffer.alloc(1), 0, 1, pos, options)
    assert.strictEqual(readHandle.bytesRead, 0)
  })
}

async function validateReadNoParams (): Promise<void> {
  const filePath = fixtures.path('x.txt')
  const fileHandle = await open(filePath, 'r')
  // Should not throw
  await check('validateReadNoParams: await fileHandle.read() should not throw', () => fileHandle.read())
}

// Validates that the zero position is respected after the position has been
// moved. The test iterates over the xyz chars twice making sure that the values
// are read from the correct position.
async function validateReadWithPositionZero (): Promise<void> {
  const opts = { useConf: true }
  const filePath = fixtures.path('x.txt')
  const fileHandle = await open(filePath, 'r')
  const expectedSequence = ['x', 'y', 'z']

  for (let i = 0; i < expectedSequence.length * 2; i++) {
    const len = 1
    const pos = i % 3
    const buf = Buffer.alloc(len)
    const result = await settle(() => read(fileHandle, buf, 0, len, pos, opts))
    await check(`validateReadWithPositionZero i=${i}: { bytesRead } = await read(fileHandle, buf, 0, 1, ${pos}, opts); assert.strictEqual(bytesRead, len)`, () =>
      assert.strictEqual(got(result).bytesRead, len))
    await check(`validateReadWithPositionZero i=${i}: assert.strictEqual(buf.toString(), expectedSequence[${pos}])`, () => {
      got(result)
      assert.strictEqual(buf.toString(), expectedSequence[pos])
    })
  }
}

async function validateReadLength (len: number): Promise<void> {
  const buf = Buffer.alloc(4)
  const opts = { useConf: true }
  const filePath = fixtures.path('x.txt')
  const fileHandle = await open(filePath, 'r')
  await check(`validateReadLength(${len}): { bytesRead } = await read(fileHandle, buf, 0, len, 0, opts); assert.strictEqual(bytesRead, len)`, async () => {
    const { bytesRead } = await read(fileHandle, buf, 0, len, 0, opts)
    assert.strictEqual(bytesRead, len)
  })
}

common.run(async () => {
  tmpdir.refresh()
  await validateRead('Hello world', 'read-file', { useConf: false })
  await validateRead('', 'read-empty-file', { useConf: false })
  await validateRead('Hello world', 'read-file-conf', { useConf: true })
  await validateRead('', 'read-empty-file-conf', { useConf: true })
  await validateLargeRead({ useConf: false })
  await validateLargeRead({ useConf: true })
  await validateReadNoParams()
  await validateReadWithPositionZero()
  await validateReadLength(0)
  await validateReadLength(1)
})
