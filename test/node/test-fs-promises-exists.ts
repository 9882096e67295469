// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-exists.js
// (MIT, Node.js contributors), adapted: Node's test checks that
// require('fs/promises') is fs.promises, one module, and that its
// `constants` are fs's. The project's counterpart of fs.promises is the
// package entry 'posix-aio/promises' (not lib/promises, which is what
// common.fsp loads: the entries are the build in dist/), and of "one
// module" that its CommonJS entry (require) and its ESM entry (import) are
// the same module instance. So `name` is 'posix-aio/promises', or
// 'fs/promises' with PARITY_PEER=node (the checks' titles say `name`), and
// the first check is that import(name)'s default export is require(name)
// (which holds for Node's too); the second is Node's, on require(name).
// Each is a check of its own (see common.ts).
import assert from 'node:assert'
import fs from 'node:fs'
import * as common from './common'

const { check } = common

const name = common.PEER === 'node' ? 'fs/promises' : 'posix-aio/promises'

// A real ESM import(): TypeScript compiles `import()` in a CommonJS module
// to a require().
// eslint-disable-next-line @typescript-eslint/no-implied-eval, no-new-func
const importESM = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<{ default: unknown }>

common.run(async () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const fsPromises = require(name)

  await check("require(name) and import(name) are one module: assert.strictEqual(fsPromises, (await import(name)).default) (Node's: assert.strictEqual(fsPromises, fs.promises))", async () =>
    assert.strictEqual(fsPromises, (await importESM(name)).default))
  await check('assert.strictEqual(fsPromises.constants, fs.constants) (fsPromises = require(name))', () =>
    assert.strictEqual(fsPromises.constants, fs.constants))
})
