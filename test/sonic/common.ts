// What sonic-boom's own tests (ported in test/sonic/) take from their
// helper, and the one thing the ports change: what constructs the stream.
// With PARITY_PEER=node (the peer, as scripts/parity.js sets it) it is
// sonic-boom itself (the version in node_modules, whose own tests these
// are), so the same files measure sonic-boom; otherwise the project's
// LogWriter.
//
// Each sonic-boom test is one tap subtest of its file, with its own
// timeout (sonic-boom's tests wait for events: one that never comes must
// fail that test, not stall the file). A test the project does not pass
// today carries `{ todo: '<why>' }`, which the peer's run ignores.
import t from 'tap'
import assert from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type * as Lib from '../../lib/index'
import type * as Helpers from '../helpers'

/** 'sonic-boom' when the files measure sonic-boom itself. */
export const PEER: 'sonic-boom' | 'aio' = process.env.PARITY_PEER === 'node' ? 'sonic-boom' : 'aio'

/* eslint-disable @typescript-eslint/no-var-requires */
const lib: typeof Lib | undefined = PEER === 'aio' ? require('../../lib/index') : undefined
const helpers: typeof Helpers | undefined = PEER === 'aio' ? require('../helpers') : undefined
/* eslint-enable @typescript-eslint/no-var-requires */

/** What every test's title starts with: the engine, or sonic-boom. */
export const engine: string = helpers?.backend ?? 'sonic-boom'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Stream = any

/** The stream under test, called as sonic-boom's tests call it (`new SonicBoom(opts)`, or without `new`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SonicBoom: any = lib === undefined ? require('sonic-boom') : lib.LogWriter

const scratch = mkdtempSync(join(tmpdir(), `posix-aio-sonic-${engine}-`))
// Removed at exit, not at tap's teardown: a test may leave a stream whose
// open is still under way (sonic-boom's "make sure `maxWrite` is passed"
// never ends its stream), and its directory gone would fail that open, an
// 'error' nobody listens to.
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }))
let count = 0

/** sonic-boom's helper file(): a fresh path, removed at the end. */
export function file (): string {
  return join(scratch, `sonic-boom-${process.pid}-${count++}`)
}

/** The message of what throws or fails after destroy(): what the ports change of it, as it names the stream. */
export const DESTROYED: string = PEER === 'sonic-boom' ? 'SonicBoom destroyed' : 'LogWriter destroyed'

export interface PortOptions {
  /** Why the project does not pass this test today (tap todo); ignored for the peer. */
  todo?: string
  /** ms before the test fails for want of the events it waits for. */
  timeout?: number
}

/** What sonic-boom's tests use of node:test's TestContext: plan() and the assert methods. */
export interface Context {
  plan: (count: number) => void
  assert: {
    ok: (value: unknown, message?: string) => void
    equal: (actual: unknown, expected: unknown, message?: string) => void
    strictEqual: (actual: unknown, expected: unknown, message?: string) => void
    deepStrictEqual: (actual: unknown, expected: unknown, message?: string) => void
    ifError: (value: unknown) => void
    fail: (message?: string) => void
    throws: (fn: () => unknown, expected?: unknown, message?: string) => void
  }
}

// node:test runs a file's tests one after another.
const queue: Array<() => Promise<void>> = []
let running = false

/**
 * One sonic-boom test, `test(name, fn)` of node:test: it passes when every
 * assertion holds, as many were made as it planned, and it ended (called
 * `end`, node:test's done callback, or settled its promise) within the
 * timeout. One top-level tap assertion, `[engine] name`, says so; a
 * failure says why after ' ⟶ '. Assertions record a failure instead of
 * throwing, so a failing one in an event listener stops nothing.
 */
export function test (name: string, fn: (t: Context, end: () => void) => unknown, options: PortOptions = {}): void {
  queue.push(() => runOne(name, fn, options))
  if (!running) {
    running = true
    setImmediate(async () => {
      // Every test of the file is queued by now: the root waits for them all.
      t.plan(queue.length)
      while (queue.length > 0) await queue.shift()!()
      running = false
    })
  }
}

async function runOne (name: string, fn: (t: Context, end: () => void) => unknown, options: PortOptions): Promise<void> {
  const failures: string[] = []
  let planned: number | undefined
  let count = 0
  const record = (check: () => void): void => {
    count++
    try {
      check()
    } catch (error) {
      failures.push((error as Error).message.split('\n')[0])
    }
  }
  const context: Context = {
    plan: (n) => { planned = n },
    assert: {
      ok: (value, message) => record(() => assert.ok(value, message)),
      equal: (actual, expected, message) => record(() => assert.equal(actual, expected, message)),
      strictEqual: (actual, expected, message) => record(() => assert.strictEqual(actual, expected, message)),
      deepStrictEqual: (actual, expected, message) => record(() => assert.deepStrictEqual(actual, expected, message)),
      ifError: (value) => record(() => assert.ifError(value)),
      fail: (message) => record(() => assert.fail(message)),
      throws: (fn, expected, message) => record(() => assert.throws(fn, expected as never, message))
    }
  }
  const timeout = options.timeout ?? 10_000
  const ended = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(`did not end within ${timeout} ms`), timeout)
    const end = (): void => { clearTimeout(timer); resolve(undefined) }
    try {
      const result = fn(context, end) as Promise<unknown> | undefined
      // A test that takes no done callback is over when it returns or settles.
      if (fn.length < 2) Promise.resolve(result).then(end, (error) => { clearTimeout(timer); resolve(`threw ${String(error)}`) })
    } catch (error) {
      clearTimeout(timer)
      resolve(`threw ${String(error)}`)
    }
  })
  // Listeners of the same turn (a 'close' after the 'finish' that ended it).
  await new Promise((resolve) => setImmediate(resolve))
  if (ended !== undefined) failures.unshift(ended)
  if (planned !== undefined && count !== planned) failures.push(`planned ${planned} assertions, made ${count}`)
  const todo = PEER === 'aio' ? options.todo : undefined
  const title = `[${engine}] ${name}`
  if (failures.length === 0) t.pass(title, { todo })
  else t.fail(`${title} ⟶ ${failures.join('; ')}`, { todo, diagnostic: false })
}

// Run as a test file itself (tap's include pattern takes every .ts under
// test/): nothing to check.
if (resolve(process.argv[1] ?? '') === __filename) t.plan(0, 'helper module of the ported sonic-boom tests')
