// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-writefile-typedarray.js
// (MIT, Node.js contributors). `fsPromises` (fs.promises) is common.fsp; the
// assert of each round of the loop is a check of its own (see common.ts).
import assert from 'node:assert'
import path from 'node:path'
import * as common from './common'

const { tmpdir, check } = common
const fsPromises = common.fsp
const tmpDir = tmpdir.path

tmpdir.refresh()

const dest = path.resolve(tmpDir, 'tmp.txt')
// Use a file size larger than `kReadFileMaxChunkSize`.
const buffer = Buffer.from('012'.repeat(2 ** 14))

common.run(async () => {
  for (const Constructor of [Uint8Array, Uint16Array, Uint32Array]) {
    await check(`new ${Constructor.name}(buffer.buffer): await fsPromises.writeFile(dest, array); data = await fsPromises.readFile(dest); assert.deepStrictEqual(data, buffer)`, async () => {
      const array = new Constructor(buffer.buffer)
      await fsPromises.writeFile(dest, array)
      const data = await fsPromises.readFile(dest)
      assert.deepStrictEqual(data, buffer)
    })
  }
})
