// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-file-handle-sync.js
// (MIT, Node.js contributors). `open` is common.open; each assert (and each
// handle call no assert covers) is a check of its own (see common.ts).
import assert from 'node:assert'
import { access, copyFile } from 'node:fs/promises'
import * as common from './common'

const { open, tmpdir, fixtures, check, settle, got } = common

async function validate (): Promise<void> {
  tmpdir.refresh()
  const dest = tmpdir.resolve('baz.js')
  await check("validate: assert.rejects(copyFile(fixtures.path('baz.js'), dest, 'r'), { code: 'ERR_INVALID_ARG_TYPE' })", () =>
    assert.rejects(
      copyFile(fixtures.path('baz.js'), dest, 'r' as never),
      {
        code: 'ERR_INVALID_ARG_TYPE'
      }
    ))
  await copyFile(fixtures.path('baz.js'), dest)
  await check("validate: assert.rejects(access(dest, 'r'), { code: 'ERR_INVALID_ARG_TYPE', message: /mode/ })", () =>
    assert.rejects(
      access(dest, 'r' as never),
      { code: 'ERR_INVALID_ARG_TYPE', message: /mode/ }
    ))
  await access(dest)
  const handle = await open(dest, 'r+')
  await check('validate: await handle.datasync() resolves', () => handle.datasync())
  await check('validate: await handle.sync() resolves', () => handle.sync())
  const buf = Buffer.from('hello world')
  const ret = await settle(async () => {
    await handle.write(buf)
    return handle.read(Buffer.alloc(11), 0, 11, 0)
  })
  await check('validate: await handle.write(buf); ret = await handle.read(Buffer.alloc(11), 0, 11, 0); assert.strictEqual(ret.bytesRead, 11)', () =>
    assert.strictEqual(got(ret).bytesRead, 11))
  await check('validate: assert.deepStrictEqual(ret.buffer, buf)', () =>
    assert.deepStrictEqual(got(ret).buffer, buf))
  await handle.close()
}

common.run(validate)
