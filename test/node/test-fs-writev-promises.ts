// Ported from Node.js v20.11.1, test/parallel/test-fs-writev-promises.js
// (MIT, Node.js contributors). `open` (fs.promises.open) is common.open; each
// assert is a check of its own (see common.ts).
import assert from 'node:assert'
import fsp from 'node:fs/promises'
import * as common from './common'

const { tmpdir, check, settle, got } = common
const fs = { ...fsp, open: common.open }

const expected = 'ümlaut. Лорем 運務ホソモ指及 आपको करने विकास 紙読決多密所 أضف'
let cnt = 0

function getFileName (): string {
  return tmpdir.resolve(`writev_promises_${++cnt}.txt`)
}

tmpdir.refresh()

common.run(async () => {
  // The first block with position null; then
  // fs.promises.writev() with an array of buffers without position.
  for (const withPosition of [true, false]) {
    const ctx = withPosition ? 'writev(…, null)' : 'writev(…) without position'
    const filename = getFileName()
    const handle = await fs.open(filename, 'w')
    const buffer = Buffer.from(expected)
    const bufferArr = withPosition ? [buffer, buffer] : [buffer, buffer, buffer]
    const expectedLength = bufferArr.length * buffer.byteLength
    const first = await settle(() => withPosition
      ? handle.writev([Buffer.from('')], null)
      : handle.writev([Buffer.from('')]))
    await check(`${ctx}: { bytesWritten, buffers } = await handle.writev([Buffer.from('')]); assert.strictEqual(bytesWritten, 0)`, () =>
      assert.strictEqual(got(first).bytesWritten, 0))
    await check(`${ctx}: assert.deepStrictEqual(buffers, [Buffer.from('')])`, () =>
      assert.deepStrictEqual(got(first).buffers, [Buffer.from('')]))
    const second = await settle(() => withPosition ? handle.writev(bufferArr, null) : handle.writev(bufferArr))
    await check(`${ctx}: ({ bytesWritten, buffers } = await handle.writev(bufferArr)); assert.deepStrictEqual(bytesWritten, expectedLength)`, () =>
      assert.deepStrictEqual(got(second).bytesWritten, expectedLength))
    await check(`${ctx}: assert.deepStrictEqual(buffers, bufferArr)`, () =>
      assert.deepStrictEqual(got(second).buffers, bufferArr))
    await check(`${ctx}: assert(Buffer.concat(bufferArr).equals(await fs.readFile(filename)))`, async () => {
      got(second)
      assert(Buffer.concat(bufferArr).equals(await fs.readFile(filename)))
    })
    handle.close()
  }

  {
    // Writev with empty array behavior
    const handle = await fs.open(getFileName(), 'w')
    const result = await settle(() => handle.writev([]))
    await check('writev([]): result = await handle.writev([]); assert.strictEqual(result.bytesWritten, 0)', () =>
      assert.strictEqual(got(result).bytesWritten, 0))
    await check('writev([]): assert.strictEqual(result.buffers.length, 0)', () =>
      assert.strictEqual(got(result).buffers.length, 0))
    handle.close()
  }
})
