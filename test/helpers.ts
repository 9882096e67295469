// Shared test helpers. Every test runs against whichever engine AIO_BACKEND
// selects; scripts/test.js runs the suite once per engine.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { open as fsOpen, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { Worker } from 'node:worker_threads'
import { AIO, open, type AioFileHandle } from '../lib/index'

export const backend = AIO.backend

/** A fresh directory on the real filesystem, removed after the test. */
export function scratchDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), `posix-aio-${backend}-`))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A scratch directory on the disk (/var/tmp: os.tmpdir() may be a tmpfs), for O_DIRECT and depth. */
export function diskDir (t: Test): string {
  const dir = mkdtempSync(join('/var/tmp', `posix-aio-${backend}-disk-`))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** AIO.stats() deltas across fn. */
export async function statsDelta (fn: () => unknown): Promise<ReturnType<typeof AIO.stats>> {
  const before = AIO.stats()
  await fn()
  const after = AIO.stats()
  return {
    submitted: after.submitted - before.submitted,
    completed: after.completed - before.completed,
    batches: after.batches - before.batches,
    notifications: after.notifications - before.notifications,
    inFlight: after.inFlight
  }
}

/**
 * A 1 MiB tmpfs mounted in a scratch directory: a real full disk for ENOSPC.
 * Needs root (CI and the dev machines run as root); skips the test otherwise.
 */
export function fullDisk (t: Test): string | undefined {
  if (process.getuid?.() !== 0) {
    t.skip('mounting a tmpfs needs root')
    return undefined
  }
  const dir = mkdtempSync(join(tmpdir(), `posix-aio-${backend}-full-`))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir])
  t.teardown(() => {
    execFileSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

/** The n-th line the LogWriter tests write, and lines [from, to) together. */
export const logLine = (i: number): string => `line ${i} ${'x'.repeat(i % 50)}\n`
export function logLines (from: number, to: number): string {
  let text = ''
  for (let i = from; i < to; i++) text += logLine(i)
  return text
}

/**
 * Builds test/fixtures/refuse.c (io_uring and glibc refusing requests, as
 * REFUSE_SETUP / REFUSE_EVERY say) in a scratch directory; returns an
 * LD_PRELOAD value with it after whatever LD_PRELOAD holds already (the
 * sanitizer runtimes must stay first).
 */
export function refusingShim (t: Test): string {
  const shim = join(scratchDir(t), 'refuse.so')
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, join(__dirname, 'fixtures', 'refuse.c'), '-ldl', '-lpthread'])
  return [process.env.LD_PRELOAD, shim].filter(Boolean).join(':')
}

// The descriptors open in this process, by number.
export function openFds (): string[] {
  return readdirSync('/proc/self/fd').sort((a, b) => Number(a) - Number(b))
}

// Starts WORKERS workers of this fixture one after another, each
// terminated once it reports IO in flight; the process goes on, this
// thread's engine is untouched and /proc/self/fd is as it was.
export async function terminateWorkers (t: Test, fixture: string, what: string): Promise<void> {
  const dir = scratchDir(t)
  const mainStats = AIO.stats()
  const before = openFds()
  const WORKERS = 20
  for (let i = 0; i < WORKERS; i++) {
    const worker = new Worker(fixture, { workerData: { dir, mode: 'terminate' } })
    const report = await new Promise<{ backend: string, inFlight: number, lines?: number }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    t.equal(report.backend, backend, 'the worker has its own engine, chosen the same way')
    t.ok(report.inFlight > 0, `worker ${i} had ${report.inFlight} ops in flight` +
      (report.lines === undefined ? '' : ` (${report.lines} lines written)`))
    t.equal(await worker.terminate(), 1, 'terminated')
  }
  t.same(AIO.stats(), mainStats, "the workers' ops never touched this thread's engine")
  // Node closes the worker's own file as the thread goes (trackUnmanagedFds);
  // the engine's ring and eventfd, and every file its ops opened, must go too.
  const after = openFds()
  const leaked = after.filter((fd) => !before.includes(fd)).map((fd) => readlinkSync(`/proc/self/fd/${fd}`).replace(dir, '<dir>'))
  t.same(after, before, `/proc/self/fd: ${before.length} before ${WORKERS} workers, ${after.length} after` +
    (leaked.length > 0 ? ` (left open: ${leaked.slice(0, 3).join(', ')}${leaked.length > 3 ? ', …' : ''})` : ''))
  t.comment(`${WORKERS} workers terminated with ${what} in flight; fds before ${before.length}, after ${after.length}`)
}

/**
 * Starts node with `args`; once the child has written 'ready' to stderr,
 * waits a random moment (from `minMs`, up to 300 ms more) and kills it with
 * SIGKILL. Resolves to what ended it and what it wrote.
 */
export async function killWhenReady (args: string[], env: NodeJS.ProcessEnv, minMs: number): Promise<{ ended: unknown, stdout: string, stderr: string }> {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  const exited = new Promise((resolve) => proc.on('close', (code, signal) => resolve(signal ?? code)))
  const ready = new Promise<void>((resolve) => {
    proc.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
      if (stderr.includes('ready')) resolve()
    })
  })
  await Promise.race([ready, exited])
  await new Promise((resolve) => setTimeout(resolve, minMs + Math.random() * 300))
  proc.kill('SIGKILL')
  return { ended: await exited, stdout, stderr }
}

// Side by side with fs.promises: the same steps on its FileHandle and on ours.

/** Steps take our handle; fs's FileHandle is passed in its place. */
export type Step = (fh: AioFileHandle) => Promise<unknown>

export function asOurs (fh: FileHandle): AioFileHandle {
  return fh as unknown as AioFileHandle
}

// Passes a deliberately ill-typed value past the compiler.
export function bad (value: unknown): never {
  return value as never
}

// Plain data to compare: bytes as hex, errors as their fields, no prototypes.
export function plain (value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    return `<${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}>`
  }
  if (value instanceof Error) {
    const { code, errno, syscall, path } = value as Error & Record<string, unknown>
    return JSON.parse(JSON.stringify({ name: value.name, message: value.message, code, errno, syscall, path }))
  }
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]))
  }
  return value
}

export async function outcome (step: Step, fh: AioFileHandle): Promise<unknown> {
  try {
    return plain(await step(fh))
  } catch (error) {
    return plain(error)
  }
}

// Runs the steps on a fs.promises handle and on ours, each on its own copy
// of `initial` (null: no file) opened with `flags`: every step's outcome and
// the file left behind must be the same.
export async function sideBySide (t: Test, flags: string | number, initial: string | null, steps: Step[]): Promise<void> {
  const dir = scratchDir(t)
  const theirs = join(dir, 'fs')
  const mine = join(dir, 'aio')
  if (initial !== null) {
    writeFileSync(theirs, initial)
    writeFileSync(mine, initial)
  }
  const fsHandle = await fsOpen(theirs, flags)
  const ours = await open(mine, flags)
  for (const [i, step] of steps.entries()) {
    const expected = await outcome(step, asOurs(fsHandle))
    t.same(await outcome(step, ours), expected, `step ${i}: ${String(step).replace(/\s+/g, ' ')}`)
  }
  await fsHandle.close()
  await ours.close()
  t.same(readFileSync(mine), readFileSync(theirs), 'the same file is left behind')
}
