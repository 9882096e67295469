// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-writefile-with-fd.js
// (MIT, Node.js contributors). `open` (require('fs').promises.open) is
// common.fsp.open; each assert is a check of its own (see common.ts).

// This test makes sure that `writeFile()` always writes from the current
// position of the file, instead of truncating the file.

import assert from 'node:assert'
import { readFileSync } from 'node:fs'
import * as common from './common'

const { tmpdir, check, settle, got } = common
const { open } = common.fsp

tmpdir.refresh()

const fn = tmpdir.resolve('test.txt')

async function writeFileTest (): Promise<void> {
  const handle = await open(fn, 'w')

  /* Write only five bytes, so that the position moves to five. */
  const buf = Buffer.from('Hello')
  const written = await settle(() => handle.write(buf, 0, 5, null))
  await check('writeFileTest: { bytesWritten } = await handle.write(buf, 0, 5, null); assert.strictEqual(bytesWritten, 5)', () =>
    assert.strictEqual(got(written).bytesWritten, 5))

  /* Write some more with writeFile(). */
  await check("writeFileTest: await handle.writeFile('World') resolves", () => handle.writeFile('World'))

  /* New content should be written at position five, instead of zero. */
  await check("writeFileTest: assert.strictEqual(readFileSync(fn).toString(), 'HelloWorld')", () =>
    assert.strictEqual(readFileSync(fn).toString(), 'HelloWorld'))

  await check('writeFileTest: await handle.close() resolves', () => handle.close())
}

common.run(writeFileTest)
