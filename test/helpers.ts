// Shared test helpers. Every test runs against whichever engine AIO_BACKEND
// selects; scripts/test.js runs the suite once per engine.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { AIO } from '../lib/index'

export const backend = AIO.backend

/** A fresh directory on the real filesystem, removed after the test. */
export function scratchDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), `posix-aio-${backend}-`))
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
