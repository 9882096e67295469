// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-truncate.js
// (MIT, Node.js contributors). `open` is common.open; each assert is a check
// of its own (see common.ts).
import assert from 'node:assert'
import { readFile } from 'node:fs/promises'
import * as common from './common'

const { open, tmpdir, check } = common

tmpdir.refresh()

async function validateTruncate (): Promise<void> {
  const text = 'Hello world'
  const filename = tmpdir.resolve('truncate-file.txt')
  const fileHandle = await open(filename, 'w+')

  const buffer = Buffer.from(text, 'utf8')
  await check('validateTruncate: await fileHandle.write(buffer, 0, buffer.length); assert.strictEqual((await readFile(filename)).toString(), text)', async () => {
    await fileHandle.write(buffer, 0, buffer.length)
    assert.strictEqual((await readFile(filename)).toString(), text)
  })

  await check("validateTruncate: await fileHandle.truncate(5); assert.strictEqual((await readFile(filename)).toString(), 'Hello')", async () => {
    await fileHandle.truncate(5)
    assert.strictEqual((await readFile(filename)).toString(), 'Hello')
  })

  await fileHandle.close()
}

common.run(validateTruncate)
