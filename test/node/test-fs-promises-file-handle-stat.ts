// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-stat.js
// (MIT, Node.js contributors). `open` is common.open; each assert is a check
// of its own (see common.ts).
import assert from 'node:assert'
import * as common from './common'

const { open, tmpdir, check } = common

// The following tests validate base functionality for the fs.promises
// FileHandle.stat method.

tmpdir.refresh()

async function validateStat (): Promise<void> {
  const filePath = tmpdir.resolve('tmp-read-file.txt')
  const fileHandle = await open(filePath, 'w+')
  await check('validateStat: const stats = await fileHandle.stat(); assert.ok(stats.mtime instanceof Date)', async () => {
    const stats = await fileHandle.stat()
    assert.ok(stats.mtime instanceof Date)
  })
  await fileHandle.close()
}

common.run(validateStat)
