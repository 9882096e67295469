// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-chmod.js
// (MIT, Node.js contributors). `open` is common.open; each assert is a check
// of its own (see common.ts).
import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import * as common from './common'

const { open, tmpdir, check } = common

// The following tests validate base functionality for the fs.promises
// FileHandle.chmod method.

const tmpDir = tmpdir.path

tmpdir.refresh()

async function validateFilePermission (): Promise<void> {
  const filePath = path.resolve(tmpDir, 'tmp-chmod.txt')
  const fileHandle = await open(filePath, 'w+', 0o444)
  // File created with r--r--r-- 444
  await check('validateFilePermission: assert.strictEqual(statsBeforeMod.mode & 0o444, 0o444)', () => {
    const statsBeforeMod = fs.statSync(filePath)
    assert.strictEqual(statsBeforeMod.mode & 0o444, 0o444)
  })

  let expectedAccess: number
  const newPermissions = 0o765

  if (common.isWindows) {
    // Chmod in Windows will only toggle read only/write access. The
    // fs.Stats.mode in Windows is computed using read/write
    // bits (not exec). Read-only at best returns 444; r/w 666.
    // Refer: /deps/uv/src/win/fs.cfs;
    expectedAccess = 0o664
  } else {
    expectedAccess = newPermissions
  }

  // Change the permissions to rwxr--r-x
  await check('validateFilePermission: await fileHandle.chmod(0o765); assert.deepStrictEqual(statsAfterMod.mode & expectedAccess, expectedAccess)', async () => {
    await fileHandle.chmod(newPermissions)
    const statsAfterMod = fs.statSync(filePath)
    assert.deepStrictEqual(statsAfterMod.mode & expectedAccess, expectedAccess)
  })

  await fileHandle.close()
}

common.run(validateFilePermission)
