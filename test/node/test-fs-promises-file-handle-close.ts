// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-close.js
// (MIT, Node.js contributors). `open` is common.open (Node's: fs.promises.open);
// Node runs it with --expose-gc --no-warnings: here common.gc() collects
// (v8.setFlagsFromString), and each expected warning is a check of its own.

// Test that a runtime warning is emitted when a FileHandle object
// is allowed to close on garbage collection. In the future, this
// test should verify that closing on garbage collection throws a
// process fatal exception.

import assert from 'node:assert'
import * as common from './common'

const { open, check } = common

const warning =
  'Closing a FileHandle object on garbage collection is deprecated. ' +
  'Please close FileHandle objects explicitly using ' +
  'FileHandle.prototype.close(). In the future, an error will be ' +
  'thrown if a file descriptor is closed during garbage collection.'

async function doOpen (): Promise<common.Handle> {
  const fh = await open(__filename)

  common.expectWarning({
    Warning: [[`Closing file descriptor ${fh.fd} on garbage collection`, undefined, "`Closing file descriptor ${fh.fd} on garbage collection`"]],
    DeprecationWarning: [[warning, 'DEP0137']]
  })

  return fh
}

common.run(() => doOpen().then(async (fd) => {
  await check("doOpen().then((fd) => assert.strictEqual(typeof fd, 'object'))", () =>
    assert.strictEqual(typeof fd, 'object'))
}).then(() => {
  setImmediate(() => {
    // The FileHandle should be out-of-scope and no longer accessed now.
    common.gc()

    // Wait an extra event loop turn, as the warning is emitted from the
    // native layer in an unref()'ed setImmediate() callback.
    setImmediate(() => {})
  })
}))
