// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-append-file.js
// (MIT, Node.js contributors). `open` is common.open; each assert is a check
// of its own (see common.ts).
import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import * as common from './common'

const { open, tmpdir, check } = common

// The following tests validate base functionality for the fs.promises
// FileHandle.appendFile method.

const tmpDir = tmpdir.path

tmpdir.refresh()

async function validateAppendBuffer (): Promise<void> {
  const filePath = path.resolve(tmpDir, 'tmp-append-file-buffer.txt')
  const fileHandle = await open(filePath, 'a')
  const buffer = Buffer.from('a&Dp'.repeat(100), 'utf8')

  await check('validateAppendBuffer: await fileHandle.appendFile(buffer); assert.deepStrictEqual(appendedFileData, buffer)', async () => {
    await fileHandle.appendFile(buffer)
    const appendedFileData = fs.readFileSync(filePath)
    assert.deepStrictEqual(appendedFileData, buffer)
  })

  await fileHandle.close()
}

async function validateAppendString (): Promise<void> {
  const filePath = path.resolve(tmpDir, 'tmp-append-file-string.txt')
  const fileHandle = await open(filePath, 'a')
  const string = 'x~yz'.repeat(100)

  await check('validateAppendString: await fileHandle.appendFile(string); assert.deepStrictEqual(appendedFileData, stringAsBuffer)', async () => {
    await fileHandle.appendFile(string)
    const stringAsBuffer = Buffer.from(string, 'utf8')
    const appendedFileData = fs.readFileSync(filePath)
    assert.deepStrictEqual(appendedFileData, stringAsBuffer)
  })

  await fileHandle.close()
}

common.run(async () => {
  await validateAppendBuffer()
  await validateAppendString()
})
