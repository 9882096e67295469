// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-write-optional-params.js
// (MIT, Node.js contributors). `open` (fsPromises.open) is common.open; each
// testInvalid call is a check, and each assert of each testValid call is one.
import assert from 'node:assert'
import { inspect } from 'node:util'
import * as common from './common'

const { open, tmpdir, check, settle, got } = common
type Handle = common.Handle

// This test ensures that filehandle.write accepts "named parameters" object
// and doesn't interpret objects as strings

tmpdir.refresh()

const dest = tmpdir.resolve('tmp.txt')
const buffer = Buffer.from('zyx')

function show (params: unknown[]): string {
  return params.map((param) => inspect(param, { breakLength: Infinity })).join(', ')
}

async function testInvalid (dest: string, expectedCode: string, ...params: unknown[]): Promise<void> {
  return testInvalidShown(params.length > 0 ? show(params) : undefined, dest, expectedCode, ...params)
}

// testInvalid, `shown` naming the params in the check's title.
async function testInvalidShown (shown: string | undefined, dest: string, expectedCode: string, ...params: unknown[]): Promise<void> {
  const title = `testInvalid(dest, '${expectedCode}'${shown !== undefined ? `, ${shown}` : ''}): assert.rejects(fh.write(...params), { code: '${expectedCode}' })`
  if (params.length >= 2) {
    params[1] = common.mustNotMutateObjectDeep(params[1])
  }
  let fh: Handle
  try {
    fh = await open(dest, 'w+')
    await check(title, () =>
      assert.rejects(
        fh.write(...params),
        { code: expectedCode }))
  } finally {
    await fh?.close()
  }
}

interface Options { length?: number | null, offset?: number, position?: number | null }

async function testValid (dest: string, buffer: Buffer, options: Options | null | undefined, shown: string): Promise<void> {
  const ctx = `testValid(dest, buffer, ${shown})`
  const length = options?.length
  const offset = options?.offset
  let fh: Handle

  const written = await settle(async () => {
    try {
      fh = await open(dest, 'w')
      const writeResult = await fh.write(buffer, options)
      const writeBufCopy = Uint8Array.prototype.slice.call(writeResult.buffer)
      return { writeResult, writeBufCopy }
    } finally {
      await fh?.close()
    }
  })

  const read = await settle(async () => {
    try {
      fh = await open(dest, 'r')
      const readResult = await fh.read(buffer, options)
      const readBufCopy = Uint8Array.prototype.slice.call(readResult.buffer)
      return { readResult, readBufCopy }
    } finally {
      await fh?.close()
    }
  })

  await check(`${ctx}: assert.ok(writeResult.bytesWritten >= readResult.bytesRead)`, () =>
    assert.ok(got(written).writeResult.bytesWritten >= got(read).readResult.bytesRead))
  if (length !== undefined && length !== null) {
    await check(`${ctx}: assert.strictEqual(writeResult.bytesWritten, length)`, () =>
      assert.strictEqual(got(written).writeResult.bytesWritten, length))
    await check(`${ctx}: assert.strictEqual(readResult.bytesRead, length)`, () =>
      assert.strictEqual(got(read).readResult.bytesRead, length))
  }
  if (offset === undefined || offset === 0) {
    await check(`${ctx}: assert.deepStrictEqual(writeBufCopy, readBufCopy)`, () =>
      assert.deepStrictEqual(got(written).writeBufCopy, got(read).readBufCopy))
  }
  await check(`${ctx}: assert.deepStrictEqual(writeResult.buffer, readResult.buffer)`, () =>
    assert.deepStrictEqual(got(written).writeResult.buffer, got(read).readResult.buffer))
}

common.run(async () => {
  // Test if first argument is not wrongly interpreted as ArrayBufferView|string
  // (each value with its source text, for a title that is the same every run)
  for (const [badBuffer, source] of [
    [undefined], [null], [true], [42], [42n], [Symbol('42')], [NaN], [[]], [() => {}, '() => {}'],
    [common.mustNotCall(undefined, { title: 'mustNotCall: common.mustNotCall() passed to fh.write as the buffer' }), 'common.mustNotCall()'],
    [common.mustNotMutateObjectDeep({}), 'common.mustNotMutateObjectDeep({})'],
    [Promise.resolve(new Uint8Array(1)), 'Promise.resolve(new Uint8Array(1))'],
    [{}],
    [{ buffer: 'amNotParam' }],
    [{ string: 'amNotParam' }],
    [{ buffer: new Uint8Array(1).buffer }, '{ buffer: new Uint8Array(1).buffer }'],
    [new Date(), 'new Date()'],
    // eslint-disable-next-line no-new-wrappers
    [new String('notPrimitive'), "new String('notPrimitive')"],
    [{ toString () { return 'amObject' } }, "{ toString() { return 'amObject'; } }"],
    [{ [Symbol.toPrimitive]: (_hint: string) => 'amObject' }, "{ [Symbol.toPrimitive]: (hint) => 'amObject' }"]
  ] as Array<[unknown, string?]>) {
    await testInvalidShown(`${source ?? inspect(badBuffer)}, {}`, dest, 'ERR_INVALID_ARG_TYPE', common.mustNotMutateObjectDeep(badBuffer), {})
  }

  // First argument (buffer or string) is mandatory
  await testInvalid(dest, 'ERR_INVALID_ARG_TYPE')

  // Various invalid options
  await testInvalid(dest, 'ERR_OUT_OF_RANGE', buffer, { length: 5 })
  await testInvalid(dest, 'ERR_OUT_OF_RANGE', buffer, { offset: 5 })
  await testInvalid(dest, 'ERR_OUT_OF_RANGE', buffer, { length: 1, offset: 3 })
  await testInvalid(dest, 'ERR_OUT_OF_RANGE', buffer, { length: -1 })
  await testInvalid(dest, 'ERR_OUT_OF_RANGE', buffer, { offset: -1 })
  await testInvalid(dest, 'ERR_INVALID_ARG_TYPE', buffer, { offset: false })
  await testInvalid(dest, 'ERR_INVALID_ARG_TYPE', buffer, { offset: true })

  // Test compatibility with filehandle.read counterpart
  for (const options of [
    undefined,
    null,
    {},
    { length: 1 },
    { position: 5 },
    { length: 1, position: 5 },
    { length: 1, position: -1, offset: 2 },
    { length: null },
    { position: null },
    { offset: 1 }
  ]) {
    await testValid(dest, buffer, common.mustNotMutateObjectDeep(options), inspect(options))
  }
})
