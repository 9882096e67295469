// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-readfile.js
// (MIT, Node.js contributors). writeFile and readFile (fs.promises') are
// common.fsp's; each assert and assert.rejects is a check of its own (see
// common.ts). Left out: validateZeroByteLiar, which runs with
// --expose-internals and replaces fs's internal binding's fstat with one
// that says the size is 0, to see readFile read on to the end anyway; the
// project's readFile asks its engine for the size, not that binding (a file
// of unknown size, /proc's, is validateReadFileProc's case).
import assert from 'node:assert'
import * as common from './common'

const { tmpdir, check, fsp } = common
const { writeFile, readFile } = fsp
tmpdir.refresh()

const fn = tmpdir.resolve('large-file')

// Creating large buffer with random content
const largeBuffer = Buffer.from(
  Array.from({ length: 1024 ** 2 + 19 }, (_, index) => index)
)

async function createLargeFile (): Promise<void> {
  // Writing buffer to a file then try to read it
  await check('createLargeFile: await writeFile(fn, largeBuffer) resolves', () =>
    writeFile(fn, largeBuffer))
}

async function validateReadFile (): Promise<void> {
  await check('validateReadFile: readBuffer = await readFile(fn); assert.strictEqual(readBuffer.equals(largeBuffer), true)', async () => {
    const readBuffer = await readFile(fn)
    assert.strictEqual(readBuffer.equals(largeBuffer), true)
  })
}

async function validateReadFileProc (): Promise<void> {
  // Test to make sure reading a file under the /proc directory works. Adapted
  // from test-fs-read-file-sync-hostname.js.
  // Refs:
  // - https://groups.google.com/forum/#!topic/nodejs-dev/rxZ_RoH1Gn0
  // - https://github.com/nodejs/node/issues/21331

  // Test is Linux-specific.
  if (!common.isLinux) { return }

  await check("validateReadFileProc: hostname = await readFile('/proc/sys/kernel/hostname'); assert.ok(hostname.length > 0)", async () => {
    const hostname = await readFile('/proc/sys/kernel/hostname')
    assert.ok(hostname.length > 0)
  })
}

async function validateReadFileAbortLogicBefore (): Promise<void> {
  const signal = AbortSignal.abort()
  await check("validateReadFileAbortLogicBefore: assert.rejects(readFile(fn, { signal }), { name: 'AbortError' }).then(common.mustCall())", () =>
    assert.rejects(readFile(fn, { signal }), {
      name: 'AbortError'
    }))
}

async function validateReadFileAbortLogicDuring (): Promise<void> {
  const controller = new AbortController()
  const signal = controller.signal
  await check("validateReadFileAbortLogicDuring: process.nextTick(() => controller.abort()); assert.rejects(readFile(fn, { signal }), { name: 'AbortError' }).then(common.mustCall())", () => {
    process.nextTick(() => controller.abort())
    return assert.rejects(readFile(fn, { signal }), {
      name: 'AbortError'
    })
  })
}

async function validateWrongSignalParam (): Promise<void> {
  // Verify that if something different than Abortcontroller.signal
  // is passed, ERR_INVALID_ARG_TYPE is thrown

  const callback = common.mustNotCall('validateWrongSignalParam: readFile(fn, { signal: \'hello\' }, callback)')
  await check("validateWrongSignalParam: assert.rejects(async () => { await readFile(fn, { signal: 'hello' }, callback) }, { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' })", () =>
    assert.rejects(async () => {
      await (readFile as (...args: unknown[]) => Promise<unknown>)(fn, { signal: 'hello' }, callback)
    }, { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }))
}

common.run(async () => {
  await createLargeFile()
  await validateReadFile()
  await validateReadFileProc()
  await validateReadFileAbortLogicBefore()
  await validateReadFileAbortLogicDuring()
  await validateWrongSignalParam()
})
