// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-readLines.mjs
// (MIT, Node.js contributors): a CommonJS TypeScript file, so the module's
// top-level await runs in common.run. `open` is common.open. The lines are
// read first, then each case of the loop's switch is a check of its own
// (the default case, assert.fail(), as "no line after the third").
import assert from 'node:assert'
import { writeFile } from 'node:fs/promises'
import * as common from './common'

const { open, tmpdir, check, settle, got } = common

common.run(async () => {
  tmpdir.refresh()

  const filePath = tmpdir.resolve('file.txt')

  await writeFile(filePath, '1\n\n2\n')

  let file: common.Handle
  try {
    file = await open(filePath)

    const lines: string[] = []
    const loop = await settle(async () => {
      for await (const line of file.readLines()) lines.push(line)
    })
    const line = (i: number): string => {
      if (lines.length <= i) got(loop)
      if (lines.length <= i) assert.fail(`readLines() gave ${lines.length} line(s), not a line ${i}`)
      return lines[i]
    }

    await check("for await (const line of file.readLines()): case 0: assert.strictEqual(line, '1')", () =>
      assert.strictEqual(line(0), '1'))
    await check("for await (const line of file.readLines()): case 1: assert.strictEqual(line, '')", () =>
      assert.strictEqual(line(1), ''))
    await check("for await (const line of file.readLines()): case 2: assert.strictEqual(line, '2')", () =>
      assert.strictEqual(line(2), '2'))
    await check('for await (const line of file.readLines()): default: assert.fail() (no line after the third, and the loop ends)', () => {
      got(loop)
      if (lines.length > 3) assert.fail()
    })
  } finally {
    await file?.close()
  }
})
