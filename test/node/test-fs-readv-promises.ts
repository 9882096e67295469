// Ported from Node.js v20.11.1, test/parallel/test-fs-readv-promises.js
// (MIT, Node.js contributors). `open` (fs.promises.open) is common.open; each
// assert is a check of its own (see common.ts).
import assert from 'node:assert'
import fsp from 'node:fs/promises'
import * as common from './common'

const { tmpdir, check, settle, got } = common
const fs = { ...fsp, open: common.open }

tmpdir.refresh()

const expected = 'ümlaut. Лорем 運務ホソモ指及 आपको करने विकास 紙読決多密所 أضف'
const exptectedBuff = Buffer.from(expected)

let cnt = 0
function getFileName (): string {
  return tmpdir.resolve(`readv_promises_${++cnt}.txt`)
}

const allocateEmptyBuffers = (combinedLength: number): Buffer[] => {
  const bufferArr: Buffer[] = []
  // Allocate two buffers, each half the size of exptectedBuff
  bufferArr[0] = Buffer.alloc(Math.floor(combinedLength / 2))
  bufferArr[1] = Buffer.alloc(combinedLength - bufferArr[0].length)

  return bufferArr
}

common.run(async () => {
  for (const withPosition of [true, false]) {
    const ctx = withPosition ? 'readv(…, null)' : 'readv(…) without position'
    const filename = getFileName()
    await fs.writeFile(filename, exptectedBuff)
    const handle = await fs.open(filename, 'r')
    const bufferArr = allocateEmptyBuffers(exptectedBuff.length)
    const expectedLength = exptectedBuff.length

    const first = await settle(() => withPosition
      ? handle.readv([Buffer.from('')], null)
      : handle.readv([Buffer.from('')]))
    await check(`${ctx}: { bytesRead, buffers } = await handle.readv([Buffer.from('')]); assert.strictEqual(bytesRead, 0)`, () =>
      assert.strictEqual(got(first).bytesRead, 0))
    await check(`${ctx}: assert.deepStrictEqual(buffers, [Buffer.from('')])`, () =>
      assert.deepStrictEqual(got(first).buffers, [Buffer.from('')]))

    const second = await settle(() => withPosition ? handle.readv(bufferArr, null) : handle.readv(bufferArr))
    await check(`${ctx}: ({ bytesRead, buffers } = await handle.readv(bufferArr)); assert.strictEqual(bytesRead, expectedLength)`, () =>
      assert.strictEqual(got(second).bytesRead, expectedLength))
    await check(`${ctx}: assert.deepStrictEqual(buffers, bufferArr)`, () =>
      assert.deepStrictEqual(got(second).buffers, bufferArr))
    await check(`${ctx}: assert(Buffer.concat(bufferArr).equals(await fs.readFile(filename)))`, async () => {
      got(second)
      assert(Buffer.concat(bufferArr).equals(await fs.readFile(filename)))
    })
    handle.close()
  }
})
