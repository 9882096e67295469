// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-write.js
// (MIT, Node.js contributors). `open` is common.open; each assert (each
// value of the loop's) is a check of its own (see common.ts).
import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import { inspect } from 'node:util'
import * as common from './common'

const { open, tmpdir, check } = common

// The following tests validate base functionality for the fs.promises
// FileHandle.write method.

const tmpDir = tmpdir.path

tmpdir.refresh()

async function validateWrite (): Promise<void> {
  const filePathForHandle = path.resolve(tmpDir, 'tmp-write.txt')
  const fileHandle = await open(filePathForHandle, 'w+')
  const buffer = Buffer.from('Hello world'.repeat(100), 'utf8')

  await check('validateWrite: await fileHandle.write(buffer, 0, buffer.length); assert.deepStrictEqual(buffer, readFileData)', async () => {
    await fileHandle.write(buffer, 0, buffer.length)
    const readFileData = fs.readFileSync(filePathForHandle)
    assert.deepStrictEqual(buffer, readFileData)
  })

  await fileHandle.close()
}

async function validateEmptyWrite (): Promise<void> {
  const filePathForHandle = path.resolve(tmpDir, 'tmp-empty-write.txt')
  const fileHandle = await open(filePathForHandle, 'w+')
  const buffer = Buffer.from('') // empty buffer

  await check('validateEmptyWrite: await fileHandle.write(Buffer.from(\'\'), 0, 0); assert.deepStrictEqual(buffer, readFileData)', async () => {
    await fileHandle.write(buffer, 0, buffer.length)
    const readFileData = fs.readFileSync(filePathForHandle)
    assert.deepStrictEqual(buffer, readFileData)
  })

  await fileHandle.close()
}

async function validateNonUint8ArrayWrite (): Promise<void> {
  const filePathForHandle = path.resolve(tmpDir, 'tmp-data-write.txt')
  const fileHandle = await open(filePathForHandle, 'w+')
  const buffer = Buffer.from('Hello world', 'utf8').toString('base64')

  await check("validateNonUint8ArrayWrite: await fileHandle.write(base64String, 0, base64String.length); assert.deepStrictEqual(Buffer.from(buffer, 'utf8'), readFileData)", async () => {
    await fileHandle.write(buffer, 0, buffer.length)
    const readFileData = fs.readFileSync(filePathForHandle)
    assert.deepStrictEqual(Buffer.from(buffer, 'utf8'), readFileData)
  })

  await fileHandle.close()
}

async function validateNonStringValuesWrite (): Promise<void> {
  const filePathForHandle = path.resolve(tmpDir, 'tmp-non-string-write.txt')
  const fileHandle = await open(filePathForHandle, 'w+')
  const nonStringValues: unknown[] = [
    123, {}, new Map(), null, undefined, 0n, () => {}, Symbol(), true,
    // eslint-disable-next-line no-new-wrappers
    new String('notPrimitive'),
    { toString () { return 'amObject' } },
    { [Symbol.toPrimitive]: (_hint: string) => 'amObject' }
  ]
  for (const nonStringValue of nonStringValues) {
    await check(`validateNonStringValuesWrite: assert.rejects(fileHandle.write(${inspect(nonStringValue)}), { message: /"buffer"/, code: 'ERR_INVALID_ARG_TYPE' })`, () =>
      assert.rejects(
        fileHandle.write(nonStringValue),
        { message: /"buffer"/, code: 'ERR_INVALID_ARG_TYPE' }
      ))
  }

  await fileHandle.close()
}

common.run(() => Promise.all([
  validateWrite(),
  validateEmptyWrite(),
  validateNonUint8ArrayWrite(),
  validateNonStringValuesWrite()
]))
