// LogWriter's synchronous path: flushSync(), sync mode and the flush at process exit,
// when the event loop cannot be waited for. The writer keeps its state and
// passes in what these need: the batch in flight, the views, the descriptor.
import { fdatasyncSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { native } from './binding'
import { byteLength, skipBytes } from './bytes'
import { engine, type Batch } from './engine'
import type { LogWriterConfig, SyncCall } from './log_options'

const { AIO_CANCELED } = native.constants

// Retry delay for a descriptor that is full (a non-blocking pipe: EAGAIN)
// or busy (EBUSY), as sonic-boom's.
export const BUSY_MS = 100

/** Whether a write that failed with `error` (EAGAIN or EBUSY) is tried again, given its bytes and those after it. */
export type Retry = (error: NodeJS.ErrnoException, writing: number, remaining: number) => boolean

/** Whether a write that failed with this code is retried at all. */
export function retryable (code: string | undefined): boolean {
  return code === 'EAGAIN' || code === 'EBUSY'
}
const sleeper = new Int32Array(new SharedArrayBuffer(4))


// Writers with an open destination; each flushes what it has not yet
// handed to the engine when the process exits. A writer leaves the set when
// it closes, so an ended writer can be collected.
export const kExit = Symbol('posix-aio.logWriter.exit')

interface ExitFlushed {
  [kExit]: () => void
}

const open = new Set<ExitFlushed>()
let exitHooked = false

function onExit (): void {
  for (const writer of open) writer[kExit]()
}

/** `writer[kExit]()` runs at process exit, until forgetAtExit(writer). */
export function flushAtExit (writer: ExitFlushed): void {
  if (!exitHooked) {
    exitHooked = true
    process.on('exit', onExit)
  }
  open.add(writer)
}

export function forgetAtExit (writer: ExitFlushed): void {
  open.delete(writer)
}

// A file still being opened at exit is opened again synchronously in
// append mode (an O_APPEND open racing the asynchronous one is harmless);
// with `append: false` it cannot be (the asynchronous open could truncate
// what this one wrote): undefined, and those lines are lost.
export function openAtExit (path: string, config: Pick<LogWriterConfig, 'append' | 'mkdir' | 'mode'>): number | undefined {
  if (!config.append) return undefined
  return openNow(path, { ...config, flags: 'a' })
}

/** The synchronous open of sync mode and of the exit: fs's error if it fails. */
export function openNow (path: string, config: { mkdir: boolean, mode: number, flags: number | string }): number {
  if (config.mkdir) mkdirSync(dirname(path), { recursive: true })
  return openSync(path, config.flags, config.mode)
}

/** What unwrittenOf reads of the writer's batch in flight. */
export interface InFlight {
  /** What it has not yet written. */
  readonly rest: Buffer[]
  /** Its op's batch while the engine has it. */
  readonly op: Batch | undefined
  /** That op's result, once JS has it. */
  readonly result: number | undefined
}

// The bytes of the batch in flight that its op will not write, or
// undefined while the op runs (they are its). Between ops (an EAGAIN
// retry's wait), or once JS has the op's result, that is what is left; an
// op the engine has not started is canceled (that op, no other writer's).
// At exit a running op is waited for (at most EXIT_WAIT_MS), then what it
// left (all of it after EAGAIN on a full pipe, the tail of a short write)
// is taken; only an op still running after the wait keeps its lines
// (writing them again could duplicate them).
export function unwrittenOf (batch: InFlight, atExit: boolean): Buffer[] | undefined {
  if (batch.op === undefined) return batch.rest
  let result = batch.result
  if (result === undefined) {
    if (engine().cancel(batch.op, 0) === AIO_CANCELED) return batch.rest
    result = atExit ? engine().settleAtExit(batch.op, 0) : undefined
  }
  // A failure (EAGAIN among them) wrote nothing: writeAllSync tries again.
  return result === undefined ? undefined : skipBytes(batch.rest, Math.max(0, result))
}

/**
 * Writes every view whole with fs.writeSync, then syncs as `sync` says;
 * the bytes written. A descriptor full or busy is waited for while
 * `retry` says so; else its error is thrown (`progress.bytes`: what was
 * written before it).
 */
function writeAllSync (fd: number, views: readonly Uint8Array[], sync: SyncCall, retry: Retry, progress: { bytes: number }): number {
  let total = 0
  let left = views.reduce((sum, view) => sum + view.byteLength, 0)
  for (const view of views) {
    total += view.byteLength
    left -= view.byteLength
    let done = 0
    while (done < view.byteLength) {
      try {
        const wrote = writeSync(fd, view, done)
        done += wrote
        progress.bytes += wrote
      } catch (error) {
        // A non-blocking descriptor (a pipe) is full: wait for its reader.
        const code = (error as NodeJS.ErrnoException).code
        if (!retryable(code) || !retry(error as NodeJS.ErrnoException, view.byteLength - done, left)) throw error
        Atomics.wait(sleeper, 0, 0, BUSY_MS)
      }
    }
  }
  if (sync === undefined) return total
  try {
    if (sync === 'fdatasync') fdatasyncSync(fd)
    else fsyncSync(fd)
  } catch (error) {
    // EINVAL: a descriptor that cannot be synced (a pipe, a tty). Any
    // other failure of a sync (EIO) has no way to be caused on cue.
    /* c8 ignore next */
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error
  }
  return total
}

// sonic-boom's rule for a write that found the descriptor full or busy:
// tried again while retryEAGAIN says so, up to maxWriteRetries in a row.
export class WriteRetries {
  #count = 0
  constructor (readonly config: Pick<LogWriterConfig, 'maxWriteRetries' | 'retryEAGAIN'>) {}

  allow: Retry = (error, writing, remaining) => {
    this.#count++
    const { maxWriteRetries, retryEAGAIN } = this.config
    return (maxWriteRetries === 0 || this.#count <= maxWriteRetries) && retryEAGAIN(error, writing, remaining)
  }

  /** A write went through: the count starts again. */
  reset (): void {
    this.#count = 0
  }
}

/** What writeTaken reads of the writer's pending lines. */
interface Taken {
  readonly units: number
  take: () => Buffer[]
  /** The units of each view the last take() gave. */
  readonly takenUnits: readonly number[]
  putBack: (views: Buffer[], units: number) => void
}

/**
 * Writes with fs.writeSync what the batch in flight has not written
 * (first: in order, and once; the batch is then taken over) and everything
 * pending; the bytes written. If a write fails, what it did not write is
 * given back (to the batch, or to the pending lines) before the error is
 * thrown: nothing taken is lost, as sonic-boom keeps it for the next write.
 */
export function writeTaken (fd: number, pending: Taken, batch: (InFlight & { rest: Buffer[], takenOver: boolean }) | undefined,
  sync: SyncCall, retries: WriteRetries, atExit: boolean): number {
  // take() takes at most IOV_MAX pieces: the rest go in further rounds.
  let views = pending.take()
  const rest = batch === undefined || batch.takenOver ? undefined : unwrittenOf(batch, atExit)
  let batchPart: Buffer[] = []
  if (rest !== undefined) {
    batchPart = rest
    batch!.rest = []
    batch!.takenOver = true
  }
  let written = 0
  for (;;) {
    const progress = { bytes: 0 }
    try {
      written += writeAllSync(fd, batchPart.length > 0 ? batchPart.concat(views) : views, sync, retries.allow, progress)
    } catch (error) {
      giveBack(pending, views, batchPart, batch, progress.bytes)
      throw error
    }
    batchPart = []
    retries.reset()
    if (pending.units === 0) return written
    views = pending.take()
  }
}

// What a failed writeTaken round did not write of the batch's part goes
// back to the batch (which writes it on), of the pending views back to the
// pending lines, with the units of every view not wholly written.
function giveBack (pending: Taken, views: Buffer[], batchPart: Buffer[], batch: { rest: Buffer[], takenOver: boolean } | undefined,
  wrote: number): void {
  const inBatch = byteLength(batchPart)
  if (wrote < inBatch) {
    batch!.rest = skipBytes(batchPart, wrote)
    batch!.takenOver = false
  }
  let skip = Math.max(0, wrote - inBatch)
  let i = 0
  while (i < views.length && skip >= views[i].byteLength) skip -= views[i++].byteLength
  const units = pending.takenUnits.slice(i).reduce((sum, n) => sum + n, 0)
  if (i < views.length) pending.putBack(skipBytes(views.slice(i), skip), units)
}
