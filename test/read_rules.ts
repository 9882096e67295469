// fh.read's length and position, which Node's versions treat differently
// (lib/node_rules.ts): side by side with the running Node's own FileHandle
// on every argument shape, and each version's rules checked on their own,
// whichever Node runs the suite.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { open as fsOpen } from 'node:fs/promises'
import { join } from 'node:path'
import { open, type AioFileHandle } from '../lib/index'
import { READ_RULES, readRules, type ReadRules } from '../lib/node_rules'
import { resolveRead } from '../lib/read_args'
import { asOurs, backend, bad, scratchDir } from './helpers'

const LENGTHS: unknown[] = [undefined, null, 0, 1, 3, 4, 5, -1, 2 ** 31, 2 ** 32 + 1, '3', '', 1.9, true, false, NaN, {}]
const POSITIONS: unknown[] = [undefined, null, -1, -1n, 0, 0n, 1, 1n, 3, 9, 9n, -5, -0.999, 1.5, NaN, Infinity, -Infinity,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, Number.MAX_VALUE, 2n ** 63n, -(2n ** 64n), '1', true, {}, []]

type Read = (fh: AioFileHandle, buffer: Buffer, length: unknown, position: unknown) => Promise<{ bytesRead: number }>
const FORMS: Array<[string, Read]> = [
  ['read(buffer, 0, length, position)', async (fh, buffer, length, position) => fh.read(buffer, 0, bad(length), bad(position))],
  ['read(buffer, { offset: 0, length, position })', async (fh, buffer, length, position) => fh.read(buffer, bad({ offset: 0, length, position }))],
  ['read({ buffer, offset: 0, length, position })', async (fh, buffer, length, position) => fh.read(bad({ buffer, offset: 0, length, position }))]
]

const shown = (value: unknown): string => typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value)

// Not compared: where the running Node gives up the process rather than
// fail, on a length that is not an Int32 reaching its binding (since
// nodejs/node#51087 stopped coercing it). Ours rejects it with
// ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE instead (test/file_handle.ts).
function nodeAborts (length: unknown, rules: ReadRules): boolean {
  if (rules.coerceLength || length === undefined || length === null) return false
  return !(typeof length === 'number' && Number.isInteger(length) && Math.abs(length) <= 2 ** 31 - 1)
}

async function outcome (read: Read, fh: AioFileHandle, length: unknown, position: unknown): Promise<unknown> {
  const buffer = Buffer.alloc(4, 0x2e)
  try {
    const { bytesRead } = await read(fh, buffer, length, position)
    return { bytesRead, buffer: buffer.toString('latin1') }
  } catch (error) {
    const { code, name, message } = error as NodeJS.ErrnoException
    return { code, name, message }
  }
}

t.test(`fh.read's length and position as this Node's FileHandle takes them (Node ${process.versions.node}, ${backend})`, async (t) => {
  const path = join(scratchDir(t), 'xyz.txt')
  writeFileSync(path, 'xyz\n')
  let compared = 0
  for (const [form, read] of FORMS) {
    for (const length of LENGTHS) {
      if (nodeAborts(length, READ_RULES)) continue
      for (const position of POSITIONS) {
        const theirs = await fsOpen(path)
        const ours = await open(path)
        // Twice: the second read shows where the first left the position.
        const expected = [await outcome(read, asOurs(theirs), length, position), await outcome(read, asOurs(theirs), length, position)]
        const got = [await outcome(read, ours, length, position), await outcome(read, ours, length, position)]
        await theirs.close()
        await ours.close()
        t.same(got, expected, `${form}, length ${shown(length)}, position ${shown(position)}`)
        compared++
      }
    }
  }
  t.comment(`${compared} argument shapes compared with Node ${process.versions.node}'s FileHandle`)
})

t.test('which rules each Node version has', async (t) => {
  const rules = (version: string): string => Object.entries(readRules(version)).filter(([, on]) => on).map(([name]) => name).join(' ')
  t.equal(rules('20.0.0'), 'coerceLength')
  t.equal(rules('20.11.1'), 'coerceLength')
  t.equal(rules('20.12.0'), '', 'nodejs/node#51087 was backported to 20.12.0')
  t.equal(rules('21.0.0'), 'coerceLength checkPosition', 'nodejs/node#42835 is 21.0.0')
  t.equal(rules('21.5.0'), 'coerceLength checkPosition')
  t.equal(rules('21.6.0'), 'checkPosition', 'nodejs/node#51087 is 21.6.0')
  t.equal(rules('22.23.5'), 'checkPosition')
  t.equal(rules('24.15.0'), 'checkPosition')
  t.equal(rules('24.16.0'), 'checkPosition positionFirst', 'nodejs/node#62674 was backported to 24.16.0')
  t.equal(rules('25.9.0'), 'checkPosition')
  t.equal(rules('26.0.0'), 'checkPosition')
  t.equal(rules('26.1.0'), 'checkPosition positionFirst', 'nodejs/node#62674 is 26.1.0')
  t.same(READ_RULES, readRules(process.versions.node), 'the handles follow the running Node')
})

// Each rule on its own, as the Node versions that have it behave (their
// own tests: test-fs-promises-file-handle-read.js, and
// test-fs-read-promises-position-validation.mjs from 21.0.0); the side by
// side test above checks them against a real Node of that version.
t.test('each version\'s rules, whichever Node runs this', async (t) => {
  const buffer = Buffer.alloc(4)
  const rulesOf = (rules: Partial<ReadRules>): ReadRules => ({ coerceLength: false, checkPosition: false, positionFirst: false, ...rules })
  const resolved = (rules: ReadRules, ...args: unknown[]): unknown => {
    try {
      const call = resolveRead(args[0], args[1], args[2], args[3], rules)
      return 'empty' in call ? 'nothing to read' : { length: call.length, position: call.position }
    } catch (error) {
      return (error as NodeJS.ErrnoException).code
    }
  }
  const v20 = rulesOf({ coerceLength: true })
  t.equal(resolved(v20, buffer), 'nothing to read', 'v20.11: read(buffer) reads nothing (a length left out is 0)')
  t.same(resolved(v20, buffer, 0, '3', 0), { length: 3, position: 0 }, "v20.11: length '3' is 3")
  t.same(resolved(v20, buffer, 0, 1.9, 0), { length: 1, position: 0 }, 'v20.11: length 1.9 is 1')
  t.same(resolved(v20, buffer, 0, 2 ** 32 + 1, 0), { length: 1, position: 0 }, 'v20.11: length 2^32 + 1 is 1')
  t.equal(resolved(v20, buffer, { length: null }), 'nothing to read', 'v20.11: length null in options is 0')
  t.same(resolved(v20, buffer, {}), { length: 4, position: null }, 'v20.11: no length in options is the whole buffer')
  t.same(resolved(v20, { buffer, offset: 1 }), { length: 3, position: null }, 'v20.11: params: the rest of the buffer')
  t.same(resolved(v20, buffer, 0, 3, 'x'), { length: 3, position: null }, 'v20: a position that is not a safe integer is the current one')

  const v21 = rulesOf({ checkPosition: true })
  for (const [position, expected] of [[undefined, null], [null, null], [-1, null], [-1n, null], [0n, 0], [9n, 9], [9, 9],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]] as Array<[unknown, unknown]>) {
    t.same(resolved(v21, buffer, 0, 4, position), { length: 4, position: expected }, `v21+: position ${shown(position)}`)
  }
  for (const position of [NaN, -Infinity, Infinity, -0.999, -(2n ** 64n), Number.MAX_SAFE_INTEGER + 1, Number.MAX_VALUE, 2n ** 63n, 2n ** 63n - 4n]) {
    t.equal(resolved(v21, buffer, 0, 4, position), 'ERR_OUT_OF_RANGE', `v21+: position ${shown(position)}`)
  }
  for (const position of [false, true, '1', Symbol('1'), {}, [], () => {}, Promise.resolve(1)]) {
    t.equal(resolved(v21, buffer, 0, 4, position), 'ERR_INVALID_ARG_TYPE', `v21+: position ${typeof position}`)
  }
  // Where ours differs: Node reads there (0 bytes, past the end of any
  // file on this disk); the engine takes positions as numbers.
  t.equal(resolved(v21, buffer, 0, 4, 2n ** 63n - 5n), 'EOVERFLOW', 'v21+: a bigint past 2^53 - 1: EOVERFLOW')
  t.equal(resolved(v21, buffer, 0, -1, 2n ** 63n), 'ERR_OUT_OF_RANGE', 'v21+: after the length is checked')
  const range = (() => { try { resolveRead(buffer, 0, 4, 2n ** 63n, v21) } catch (error) { return (error as Error).message } })()
  t.equal(range, 'The value of "position" is out of range. It must be >= -1 && <= 9223372036854775803. Received 9_223_372_036_854_775_808n')
  const small = (() => { try { resolveRead(buffer, 0, 4, -2n, v21) } catch (error) { return (error as Error).message } })()
  t.match(small, /Received -2n$/, 'a small bigint is shown without separators, as Node shows it')
  t.equal(resolved(v21, buffer, 0, 0, 'x'), 'nothing to read', 'v21: a zero length resolves before the position is checked')
  t.equal(resolved(v21, Buffer.alloc(0), 0, 1, 'x'), 'ERR_INVALID_ARG_VALUE', 'v21: the empty buffer is checked first')

  const v26 = rulesOf({ checkPosition: true, positionFirst: true })
  t.equal(resolved(v26, buffer, 0, 0, 'x'), 'ERR_INVALID_ARG_TYPE', 'v24.16, v26.1: the position is checked before a zero length resolves')
  t.equal(resolved(v26, Buffer.alloc(0), 0, 1, 'x'), 'ERR_INVALID_ARG_TYPE', 'v24.16, v26.1: and before the empty buffer')
  t.same(resolved(v26, buffer, 0, 4, 2n), { length: 4, position: 2 })
  t.equal(resolved(v26, buffer, 0, '4', 2n), 'ERR_INVALID_ARG_TYPE', 'v24.16, v26.1: a bigint position, then the length that is not a number')
  t.same(resolved(rulesOf({}), buffer, 0, 4, 'x'), { length: 4, position: null }, 'v20.12+: a position that is not a safe integer is the current one')
})
