// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-stream.js
// (MIT, Node.js contributors). `open` is common.open; each assert is a check
// of its own (see common.ts).
import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { buffer } from 'node:stream/consumers'
import * as common from './common'

const { open, tmpdir, check } = common

// The following tests validate base functionality for the fs.promises
// FileHandle.write method.

const tmpDir = tmpdir.path

tmpdir.refresh()

async function validateWrite (): Promise<void> {
  const filePathForHandle = path.resolve(tmpDir, 'tmp-write.txt')
  const fileHandle = await open(filePathForHandle, 'w')
  const buffer = Buffer.from('Hello world'.repeat(100), 'utf8')

  await check('validateWrite: stream = fileHandle.createWriteStream(); stream.end(buffer); await finished(stream); assert.deepStrictEqual(buffer, readFileData)', async () => {
    const stream = fileHandle.createWriteStream()
    stream.end(buffer)
    await finished(stream)

    const readFileData = fs.readFileSync(filePathForHandle)
    assert.deepStrictEqual(buffer, readFileData)
  })
}

async function validateRead (): Promise<void> {
  const filePathForHandle = path.resolve(tmpDir, 'tmp-read.txt')
  const buf = Buffer.from('Hello world'.repeat(100), 'utf8')

  fs.writeFileSync(filePathForHandle, buf)

  const fileHandle = await open(filePathForHandle)
  await check('validateRead: assert.deepStrictEqual(await buffer(fileHandle.createReadStream()), buf)', async () =>
    assert.deepStrictEqual(
      await buffer(fileHandle.createReadStream()),
      buf
    ))
}

common.run(() => Promise.all([
  validateWrite(),
  validateRead()
]))
