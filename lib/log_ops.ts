// A LogWriter's engine ops: the open, the batch (writes finished across
// short writes, retried while the descriptor is full, then the sync), a
// sync and a close. The writer's state stays in log.ts; these take what
// they need.
import { mkdir } from 'node:fs/promises'
import { constants as osConstants } from 'node:os'
import { dirname } from 'node:path'
import { byteLength, skipBytes } from './bytes'
import { Batch, engine } from './engine'
import { systemError } from './errors'
import type { LogWriterConfig, SyncCall } from './log_options'
import { BUSY_MS, type InFlight, type Retry } from './log_sync'

const EAGAIN = -osConstants.errno.EAGAIN
const EBUSY = -osConstants.errno.EBUSY
const EINVAL = -osConstants.errno.EINVAL
const ECANCELED = -osConstants.errno.ECANCELED
// What an fsync of flush() may fail with and mean no harm, as sonic-boom
// takes them: a descriptor that cannot be synced (a pipe, a tty, a
// read-only filesystem) or is closed already.
const UNSYNCABLE = new Set(['EBADF', 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EROFS']
  .map((code) => -(osConstants.errno as Record<string, number>)[code]))

/** A batch in flight: units [start, end) of the stream (its op: flushSync cancels exactly that one). */
export interface InFlightBatch extends InFlight {
  start: number
  end: number
  rest: Buffer[]
  op: Batch | undefined
  result: number | undefined
  /** flushSync took its unwritten bytes and wrote them itself. */
  takenOver: boolean
  /** destroy() came while it waited to retry: it is not tried again (as sonic-boom's retry is canceled). */
  dropped: boolean
}

/** What a batch asks of its writer. */
export interface BatchWriter {
  /** Whether a write that found the descriptor full or busy is tried again. */
  readonly retry: Retry
  /** The bytes pending behind the batch. */
  remaining: () => number
  /** A write wrote this many bytes (and none failed since). */
  wrote: (bytes: number) => void
}

/** The fs-shaped error for a negative result. */
function check (result: number, syscall: string, path: string | undefined): Error | undefined {
  return result < 0 ? systemError(result, syscall, path) : undefined
}

/** One engine op; its result. */
async function one (describe: (op: Batch) => void): Promise<number> {
  const op = new Batch()
  describe(op)
  return (await engine().submit(op))[0]
}

/** mkdir if asked, then the engine's open: the descriptor, or the fs-shaped error. */
export async function openFile (path: string, config: LogWriterConfig): Promise<number | Error> {
  if (config.mkdir) {
    try {
      await mkdir(dirname(path), { recursive: true })
    } catch (error) {
      return error as Error
    }
  }
  const fd = await one((op) => op.add('open', path, config.flags, config.mode))
  return fd < 0 ? systemError(fd, 'open', path) : fd
}

/** Closes a descriptor through the engine; an error is not reported (it is released either way). */
export async function closeFile (fd: number): Promise<void> {
  await one((op) => op.add('close', fd))
}

/** flush()'s fsync: what cannot be synced is no failure. */
export async function syncQuietly (fd: number, path: string | undefined): Promise<void> {
  const result = await one((op) => op.add('fsync', fd))
  // Any other failure of a sync (EIO) has no way to be caused on cue.
  /* c8 ignore next */
  if (result < 0 && !UNSYNCABLE.has(result)) throw systemError(result, 'fsync', path)
}

// One write (or writev) op per submission, finished across short writes,
// then the sync; resolves the error, if any.
export async function writeBatch (fd: number, path: string | undefined, sync: SyncCall, batch: InFlightBatch,
  writer: BatchWriter): Promise<Error | undefined> {
  const e = engine()
  let syncing = false
  for (;;) {
    const rest = batch.rest
    const op = new Batch()
    if (rest.length === 1) {
      op.add('write', fd, rest[0], 0, rest[0].byteLength, -1)
    } else if (rest.length > 1) {
      op.add('writev', fd, rest, -1)
    } else if (sync !== undefined && !syncing) {
      syncing = true
      op.add(sync, fd)
    } else {
      return undefined
    }
    batch.result = undefined
    const done = e.submit(op, (_, result) => { batch.result = result })
    batch.op = op
    const result = (await done)[0]
    batch.op = undefined
    // flushSync took what this op did not write and wrote it itself.
    if (batch.takenOver) return undefined
    // flushSync canceled this op, then failed and gave its bytes back.
    if (result === ECANCELED && batch.rest !== rest) continue
    if (syncing) {
      // EINVAL: a descriptor that cannot be synced (a pipe, a tty): nothing to do.
      return result === EINVAL ? undefined : check(result, sync!, path)
    }
    const error = check(result, 'write', path)
    if ((result === EAGAIN || result === EBUSY) &&
      writer.retry(error as NodeJS.ErrnoException, byteLength(rest), writer.remaining())) {
      // A non-blocking descriptor (a pipe) is full: try again shortly
      // (unless flushSync or the exit took the bytes meanwhile).
      await new Promise((resolve) => setTimeout(resolve, BUSY_MS))
      if (batch.takenOver || batch.dropped) return undefined
      continue
    }
    if (error !== undefined) return error
    batch.rest = skipBytes(rest, result)
    writer.wrote(result)
  }
}
