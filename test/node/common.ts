// What Node's test/common gives the fs.promises tests ported in test/node/,
// and the one thing the ports change: which `open` and which fs.promises
// they use. With PARITY_PEER=node they are Node's own fs.promises.open and
// fs.promises, so the same files measure Node; otherwise the project's
// open() and 'posix-aio/promises' (lib/promises).
//
// Every Node check (an assert, assert.rejects, assert.throws, a mustCall,
// an expected warning) is one tap assertion of its own, at the top level of
// its file, reported whether or not the ones before it failed: check() runs
// it at once (so timing such as process.nextTick(abort) stays as in Node)
// and reports `ok`/`not ok - [engine] <context>: <the check>`, a failed one
// with ` ⟶ <why>` after it. A check that fails on the project today carries
// `{ todo: '<why>' }` (it still runs: `not ok … # TODO why`, and `ok … # TODO`
// once it passes, i.e. the todo can go); todos are not applied under
// PARITY_PEER=node, where each check shows Node's real outcome.
import t from 'tap'
import assert from 'node:assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { inspect } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'
import type * as Lib from '../../lib/index'
import type * as Helpers from '../helpers'

/** 'node' when the files measure Node's own FileHandle (PARITY_PEER=node). */
export const PEER: 'node' | 'aio' = process.env.PARITY_PEER === 'node' ? 'node' : 'aio'

// The project (and its addon) only when it is what is measured: Node's run
// needs neither.
/* eslint-disable @typescript-eslint/no-var-requires */
const lib: typeof Lib | undefined = PEER === 'node' ? undefined : require('../../lib/index')
const promises: typeof fs.promises | undefined = PEER === 'node' ? undefined : require('../../lib/promises')
const helpers: typeof Helpers | undefined = PEER === 'node' ? undefined : require('../helpers')
/* eslint-enable @typescript-eslint/no-var-requires */

/** What every check's title starts with: the engine (helpers' backend), or node. */
export const engine: string = helpers?.backend ?? 'node'

// A handle: Node's FileHandle or an AioFileHandle. The ports call whatever
// Node's tests call on it, members the project may not have yet included.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handle = any

/** The opener under test: fs.promises.open, or the project's open. */
export const open: (path: fs.PathLike, flags?: string | number, mode?: fs.Mode) => Promise<Handle> =
  lib === undefined ? fs.promises.open : lib.open as never

/**
 * The fs.promises under test: Node's own (fs.promises, which is
 * require('fs/promises')), or the project's 'posix-aio/promises'
 * (lib/promises). Where Node's test says `fs.promises.x` or
 * `require('fs/promises').x`, the port says `fsp.x`. Typed as Node's, the
 * shape the project's module has.
 */
export const fsp: typeof fs.promises = promises ?? fs.promises

// fs.promises.readFile / writeFile take a Node FileHandle in place of a
// path, and then read or write its descriptor with fs's own code (they
// take the project's handles too, which pass fs's `instanceof FileHandle`
// check). What they mean for a handle is its method: readFile(fh, o) is
// fh.readFile(o), writeFile(fh, d, o) is fh.writeFile(d, o). So with a
// project handle these call its method, which is what is measured; with
// anything else they are fs's, untouched. (fs.createReadStream(null,
// { fd: handle }) calls the handle's read() itself: the ports call fs's.)

/** fs.promises.readFile; a project handle as `path` means handle.readFile(options). */
export async function readFile (file: unknown, options?: unknown): Promise<Buffer | string> {
  if (isProjectHandle(file)) return (file as Handle).readFile(options)
  return fs.promises.readFile(file as fs.PathLike, options as never)
}

/** fs.promises.writeFile; a project handle as `path` means handle.writeFile(data, options). */
export async function writeFile (file: unknown, data: unknown, options?: unknown): Promise<void> {
  if (isProjectHandle(file)) return (file as Handle).writeFile(data, options)
  return fs.promises.writeFile(file as fs.PathLike, data as string, options as never)
}

function isProjectHandle (value: unknown): boolean {
  return lib !== undefined && value instanceof lib.AioFileHandle
}

// ---------------------------------------------------------------- common

export const isLinux = process.platform === 'linux'
export const isWindows = process.platform === 'win32'
export const isOSX = process.platform === 'darwin'
export const isMacOS = isOSX

export function canCreateSymLink (): boolean {
  return !isWindows
}

export function printSkipMessage (msg: string): void {
  t.comment(`skipped: ${msg}`)
}

/** Node's --expose-gc global.gc, without the flag. */
export function gc (): void {
  v8.setFlagsFromString('--expose-gc')
  const collect = vm.runInNewContext('gc') as () => void
  collect()
}

/** test/common/tick.js */
export function tick (x: number, cb?: () => void): void {
  function ontick (): void {
    if (--x === 0) {
      if (typeof cb === 'function') cb()
    } else {
      setImmediate(ontick)
    }
  }
  setImmediate(ontick)
}

// ---------------------------------------------------------------- tmpdir

const testName = path.basename(process.argv[1] ?? 'node-test').replace(/\.[cm]?[jt]s$/, '')
const tmpPath = path.join(os.tmpdir(), `posix-aio-node-${engine}-${testName}-${process.pid}`)
let firstRefresh = true

/** test/common/tmpdir.js: one directory per test file, removed at exit. */
export const tmpdir = {
  path: tmpPath,
  refresh (): void {
    fs.rmSync(tmpPath, { maxRetries: 3, recursive: true, force: true })
    fs.mkdirSync(tmpPath, { recursive: true })
    if (firstRefresh) {
      firstRefresh = false
      process.on('exit', () => fs.rmSync(tmpPath, { maxRetries: 3, recursive: true, force: true }))
    }
  },
  resolve (...paths: string[]): string {
    return path.resolve(tmpPath, ...paths)
  },
  hasEnoughSpace (size: number): boolean {
    const { bavail, bsize } = fs.statfsSync(tmpPath)
    return bavail >= Math.ceil(size / bsize)
  },
  fileURL (...paths: string[]): URL {
    return pathToFileURL(path.resolve(tmpPath + path.sep, ...paths))
  }
}

// ---------------------------------------------------------------- fixtures

// The few files of Node's test/fixtures these tests read, written on first
// use to a directory of their own (not tmpdir: refresh() would remove them).
const FIXTURES: Record<string, string> = {
  'x.txt': 'xyz\n',
  'empty.txt': '',
  'baz.js': "module.exports = 'perhaps I work';\n"
}
const fixturesPath = path.join(os.tmpdir(), `posix-aio-node-fixtures-${engine}-${testName}-${process.pid}`)

export const fixtures = {
  path (...args: string[]): string {
    const name = path.join(...args)
    if (!Object.hasOwn(FIXTURES, name)) throw new Error(`no such fixture here: ${name}`)
    const file = path.join(fixturesPath, name)
    if (!fs.existsSync(file)) {
      if (!fs.existsSync(fixturesPath)) {
        fs.mkdirSync(fixturesPath, { recursive: true })
        process.on('exit', () => fs.rmSync(fixturesPath, { recursive: true, force: true }))
      }
      fs.writeFileSync(file, FIXTURES[name])
    }
    return file
  }
}

// ---------------------------------------------------------------- checks

export interface CheckOptions {
  /** Why the check fails on the project today (tap todo); ignored under PARITY_PEER=node. */
  todo?: string | false
  /** ms before the check counts as failed; default 20 s. */
  timeout?: number
}

/** Between a failed check's title and why it failed, in its TAP line. */
export const SEPARATOR = '⟶'

function todoOf (options: CheckOptions): string | false {
  return PEER === 'node' ? false : (options.todo ?? false)
}

function describe (error: unknown): string {
  if (error instanceof assert.AssertionError) {
    // assert.throws / rejects with an object to match: `actual` is what was thrown.
    const { actual } = error as { actual: unknown }
    if (actual instanceof Error && error.operator !== 'fail') {
      const code = (actual as { code?: unknown }).code
      return `got ${actual.name}${code !== undefined ? ` [${String(code)}]` : ''}: ${actual.message} — ${error.message}`
    }
    return error.message
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    // assert.rejects / assert.throws turn every mismatch into an
    // AssertionError; anything else came out of the code under test itself
    // (for `assert.rejects(call())`, a synchronous throw from call()).
    return `uncaught ${error.name}${code !== undefined ? ` [${String(code)}]` : ''}: ${error.message}`
  }
  return `uncaught non-error: ${inspect(error)}`
}

/**
 * Reports one check's outcome: one top-level assertion of the file, `ok` or
 * `not ok`, with the todo if it has one (`not ok … # TODO why`: tap counts
 * it as todo, not as a failure).
 */
function report (title: string, error: unknown, options: CheckOptions): void {
  const name = `[${engine}] ${title}`
  const todo = todoOf(options)
  if (error === undefined) {
    t.pass(name, { todo })
  } else {
    // Why, after the title (tap shows no diagnostics for a todo); '#' would
    // start a TAP directive.
    const why = describe(error).replace(/\s+/g, ' ').replace(/#/g, '＃').slice(0, 300)
    t.fail(`${name} ${SEPARATOR} ${why}`, {
      todo,
      reason: describe(error).slice(0, 2000),
      stack: error instanceof Error ? error.stack : undefined,
    })
  }
}

const NO_ERROR = Symbol('no error')

async function outcome (fn: () => unknown, timeout: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      (async () => { await fn() })(),
      new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the check did not finish in ${timeout} ms`)), timeout)
      })
    ])
    return NO_ERROR
  } catch (error) {
    return error ?? new Error(`threw ${String(error)}`)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * One Node check: runs `fn` now (the assertion, and the calls whose result
 * it asserts), then reports it as one assertion. Never throws.
 */
export async function check (title: string, fn: () => unknown, options: CheckOptions = {}): Promise<void> {
  const error = await outcome(fn, options.timeout ?? 20_000)
  report(title, error === NO_ERROR ? undefined : error, options)
}

/** What a step gave: its value, or its error (and whether it threw synchronously). */
export interface Settled<T> { value?: T, error?: unknown, threw?: boolean }

/**
 * Runs a step whose result several checks look at; never throws. `got()`
 * then gives each check the value, or throws the step's error.
 */
export async function settle<T> (step: () => T | Promise<T>): Promise<Settled<T>> {
  let pending: T | Promise<T>
  try {
    pending = step()
  } catch (error) {
    return { error, threw: true }
  }
  try {
    return { value: await pending }
  } catch (error) {
    return { error, threw: false }
  }
}

/** A settled step's value, or its error as the check's failure. */
export function got<T> (settled: Settled<T>): T {
  if ('error' in settled) {
    const { error } = settled
    if (error instanceof Error && settled.threw === true && !(error instanceof assert.AssertionError)) {
      error.message += ' (thrown synchronously)'
      settled.threw = false
    }
    throw error
  }
  return settled.value as T
}

/** A value an earlier step should have produced; a clear failure if it did not. */
export function need<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`not reached: ${what} failed earlier`)
  return value
}

// ---------------------------------------------------------------- mustCall

export interface CallOptions extends CheckOptions {
  /** The check's title; default: where mustCall was called. */
  title?: string
}

interface CallCheck {
  title: string
  options: CheckOptions
  kind: 'exact' | 'minimum' | 'never'
  criteria: number
  actual: number
  /** Why it may not have been called: a step that threw. */
  cause?: unknown
}

const callChecks: CallCheck[] = []

function callSite (): string {
  const line = (new Error().stack ?? '').split('\n')[3] ?? ''
  return line.trim().replace(/^at /, '').replace(process.cwd() + path.sep, '')
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any

function track<F extends Fn> (fn: F | undefined, criteria: number, kind: CallCheck['kind'], options: CallOptions): F {
  const context: CallCheck = {
    title: options.title ?? `${kind === 'never' ? 'mustNotCall' : 'mustCall'} at ${callSite()}`,
    options,
    kind,
    criteria,
    actual: 0
  }
  callChecks.push(context)
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    context.actual++
    return fn?.apply(this, args)
  }
  calls.set(wrapped, context)
  return wrapped as F
}

const calls = new WeakMap<Fn, CallCheck>()

/** common.mustCall: `fn` must be called exactly `exact` times by the end of the file. */
export function mustCall<F extends Fn> (fn?: F, exact = 1, options: CallOptions = {}): F {
  return track(fn, exact, 'exact', options)
}

/** common.mustCallAtLeast */
export function mustCallAtLeast<F extends Fn> (fn?: F, minimum = 1, options: CallOptions = {}): F {
  return track(fn, minimum, 'minimum', options)
}

/**
 * common.mustNotCall. Node's throws where it is called; this one records
 * the call, and its check fails at the end of the file (a throw from an
 * event handler would end the whole file).
 */
export function mustNotCall (msg?: string, options: CallOptions = {}): Fn {
  return track(undefined, 0, 'never', { title: `mustNotCall: ${msg ?? 'function should not have been called'}`, ...options })
}

/** Runs a step that a mustCall depends on (e.g. fh.on('close', fn)); if it throws, that is why. */
export async function attempt (step: () => unknown, ...waiting: Fn[]): Promise<void> {
  try {
    await step()
  } catch (error) {
    for (const fn of waiting) {
      const context = calls.get(fn)
      if (context !== undefined) context.cause ??= error
    }
  }
}

/**
 * common.expectsError: a validator for one error. (Node's is also a
 * mustCall; every use here calls it at once, in a catch or as the
 * assert.rejects validator, so the count adds nothing.)
 */
export function expectsError (validator: assert.AssertPredicate): (error: unknown) => true {
  return (...args: unknown[]) => {
    if (args.length !== 1) assert.fail(`Expected one argument, got ${inspect(args)}`)
    const error = args.pop()
    assert.strictEqual(Object.prototype.propertyIsEnumerable.call(error, 'message'), false)
    assert.throws(() => { throw error }, validator)
    return true
  }
}

const notMutated = new WeakMap<object, object>()

/** common.mustNotMutateObjectDeep: a proxy that fails on any change. */
export function mustNotMutateObjectDeep<T> (original: T): T {
  if (original === null || typeof original !== 'object') return original
  const cached = notMutated.get(original)
  if (cached !== undefined) return cached as T
  const proxy = new Proxy(original, {
    defineProperty (_target, property) {
      assert.fail(`Expected no side effects, got ${inspect(property)} defined`)
    },
    deleteProperty (_target, property) {
      assert.fail(`Expected no side effects, got ${inspect(property)} deleted`)
    },
    get (target, prop, receiver) {
      return mustNotMutateObjectDeep(Reflect.get(target, prop, receiver))
    },
    preventExtensions (target) {
      assert.fail('Expected no side effects, got extensions prevented on ' + inspect(target))
    },
    set (_target, property, value) {
      assert.fail(`Expected no side effects, got ${inspect(value)} assigned to ${inspect(property)}`)
    },
    setPrototypeOf (_target, prototype) {
      assert.fail(`Expected no side effects, got set prototype to ${String(prototype)}`)
    }
  })
  notMutated.set(original, proxy)
  return proxy as T
}

// ---------------------------------------------------------------- warnings

interface WarningCheck { name: string, message: string | RegExp, code?: string, title?: string, options: CheckOptions, seen?: Error }
const warningChecks: WarningCheck[] = []
const unexpectedWarnings: Error[] = []
let listening = false

/**
 * common.expectWarning({ Name: [[message, code], …] }): each one must be
 * emitted, in order, by the end of the file; each is a check. A third
 * element is the message as the check's title shows it (when the message
 * itself differs from run to run).
 */
export function expectWarning (map: Record<string, Array<[string | RegExp, string?, string?]>>, options: CheckOptions = {}): void {
  if (!listening) {
    listening = true
    process.on('warning', (warning) => {
      const next = warningChecks.find((w) => w.seen === undefined && w.name === warning.name)
      if (next === undefined) unexpectedWarnings.push(warning)
      else next.seen = warning
    })
  }
  for (const [name, list] of Object.entries(map)) {
    for (const [message, code, title] of list) warningChecks.push({ name, message, code, title, options })
  }
}

// ---------------------------------------------------------------- run

/**
 * Runs a ported file's flow; then, once the event loop has settled (Node
 * checks at exit), one check per mustCall and expected warning. A flow that
 * throws outside every check is one failed check more.
 */
export function run (main: () => Promise<unknown>): void {
  void (async () => {
    const error = await outcome(main, 100_000)
    if (error !== NO_ERROR) report('the test flow ran to its end (…then(common.mustCall()))', error, {})
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setTimeout(resolve, 100))
    for (const c of callChecks) {
      let failure: Error | undefined
      if (c.kind === 'never' && c.actual > 0) {
        failure = new Error(`called ${c.actual} time(s); it must not be called`)
      } else if (c.kind === 'exact' && c.actual !== c.criteria) {
        failure = new Error(`Mismatched function calls. Expected exactly ${c.criteria}, actual ${c.actual}.`)
      } else if (c.kind === 'minimum' && c.actual < c.criteria) {
        failure = new Error(`Mismatched function calls. Expected at least ${c.criteria}, actual ${c.actual}.`)
      }
      if (failure !== undefined && c.cause !== undefined) failure.message += ` (${describe(c.cause)})`
      report(c.title, failure, c.options)
    }
    for (const w of warningChecks) {
      const title = `emits ${w.name} ${w.title ?? inspect(w.message)}${w.code !== undefined ? ` (${w.code})` : ''}`
      let failure: Error | undefined
      if (w.seen === undefined) {
        failure = new Error(`no ${w.name} was emitted`)
      } else {
        try {
          if (typeof w.message === 'string') assert.strictEqual(w.seen.message, w.message)
          else assert.match(w.seen.message, w.message)
          assert.strictEqual((w.seen as Error & { code?: string }).code, w.code)
        } catch (e) {
          failure = e as Error
        }
      }
      report(title, failure, w.options)
    }
    for (const w of unexpectedWarnings) t.comment(`warning not expected by the test: ${w.name}: ${w.message}`)
  })()
}

// Run as a test file itself (tap's include pattern takes every .ts under
// test/): nothing to check.
if (path.resolve(process.argv[1] ?? '') === __filename) t.plan(0, 'helper module of the ported Node tests')
