// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-readfile-with-fd.js
// (MIT, Node.js contributors). `open` (require('fs').promises.open) is
// common.fsp.open; each assert is a check of its own (see common.ts).

// This test makes sure that `readFile()` always reads from the current
// position of the file, instead of reading from the beginning of the file.

import assert from 'node:assert'
import { writeFileSync } from 'node:fs'
import * as common from './common'

const { tmpdir, check, settle, got } = common
const { open } = common.fsp

tmpdir.refresh()

const fn = tmpdir.resolve('test.txt')
writeFileSync(fn, 'Hello World')

async function readFileTest (): Promise<void> {
  const handle = await open(fn, 'r')

  /* Read only five bytes, so that the position moves to five. */
  const buf = Buffer.alloc(5)
  const read = await settle(() => handle.read(buf, 0, 5, null))
  await check('readFileTest: { bytesRead } = await handle.read(buf, 0, 5, null); assert.strictEqual(bytesRead, 5)', () =>
    assert.strictEqual(got(read).bytesRead, 5))
  await check("readFileTest: assert.strictEqual(buf.toString(), 'Hello')", () =>
    assert.strictEqual(buf.toString(), 'Hello'))

  /* readFile() should read from position five, instead of zero. */
  await check("readFileTest: assert.strictEqual((await handle.readFile()).toString(), ' World')", async () =>
    assert.strictEqual((await handle.readFile()).toString(), ' World'))

  await check('readFileTest: await handle.close() resolves', () => handle.close())
}

common.run(readFileTest)
