// Loads the addon (a prebuild, else the local build) and types its surface.
import { join } from 'node:path'

export interface NativeControlBlock {
  /** 0 never submitted, 1 in flight, 2 done. */
  state (): 0 | 1 | 2
  /** aio_error(): 0, EINPROGRESS or errno. */
  error (): number
  /** aio_return(): bytes, or -1 when the op failed. */
  result (): number
  /** false while in flight. */
  reset (): boolean
  /** A LIO_NOP entry: done at once, nothing submitted; false while in flight. */
  finishNop (): boolean
}

/**
 * Each op kind's arguments, in the order of its row of the op-traits table
 * (native/op.h): numbers, and the values an op pins while in flight.
 */
export interface OpArgs {
  read: [fd: number, buffer: Uint8Array, start: number, length: number, position: number]
  write: [fd: number, buffer: Uint8Array, start: number, length: number, position: number]
  fsync: [fd: number]
  fdatasync: [fd: number]
  open: [path: string | Uint8Array, flags: number, mode: number]
  close: [fd: number]
  /** Result: a regular file's size, else 0. */
  fstatSize: [fd: number]
  /** Each buffer whole, at most IOV_MAX; the array stays pinned, so pass one nobody else holds. */
  readv: [fd: number, buffers: Uint8Array[], position: number]
  writev: [fd: number, buffers: Uint8Array[], position: number]
  ftruncate: [fd: number, length: number]
  /** Fills `out` (18 or more) with dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks, then sec and nsec of atime, mtime, ctime, birthtime. */
  fstat: [fd: number, out: Float64Array]
  /** Open, write, sync (0 none, 1 data, 2 full) and close as one op. */
  writeFile: [path: string | Uint8Array, flags: number, mode: number, buffer: Uint8Array, start: number,
    length: number, position: number, sync: number]
  fchmod: [fd: number, mode: number]
  /** -1 keeps that id. */
  fchown: [fd: number, uid: number, gid: number]
  /** Seconds since the epoch (fractions to the microsecond, as fs). */
  futimes: [fd: number, atime: number, mtime: number]
  /** Fills `out` as fstat does, for a path (followed) or a link itself (lstat). */
  stat: [path: string | Uint8Array, out: Float64Array]
  lstat: [path: string | Uint8Array, out: Float64Array]
  access: [path: string | Uint8Array, mode: number]
  unlink: [path: string | Uint8Array]
  rename: [from: string | Uint8Array, to: string | Uint8Array]
  mkdir: [path: string | Uint8Array, mode: number]
  chmod: [path: string | Uint8Array, mode: number]
  utimes: [path: string | Uint8Array, atime: number, mtime: number]
  link: [existing: string | Uint8Array, created: string | Uint8Array]
  /** A link at `path` to `target`. */
  symlink: [target: string | Uint8Array, path: string | Uint8Array]
  /** As libuv copies: `flags` are fs.constants.COPYFILE_* bits. */
  copyFile: [from: string | Uint8Array, to: string | Uint8Array, flags: number]
}
export type OpName = keyof OpArgs

export interface Native {
  /** Op kinds by name, from the op-traits table. */
  ops: Record<OpName, number>
  /** Every engine, in the order they are tried by default. */
  engines: string[]
  constants: {
    LIO_READ: number, LIO_WRITE: number, LIO_NOP: number, LIO_WAIT: number, LIO_NOWAIT: number,
    AIO_CANCELED: number, AIO_NOTCANCELED: number, AIO_ALLDONE: number,
    EINPROGRESS: number, ECANCELED: number, O_SYNC: number, O_DSYNC: number,
    AIO_PRIO_DELTA_MAX: number,
    /** The most buffers one readv/writev op takes. */
    IOV_MAX: number
  }
  ControlBlock: new () => NativeControlBlock
  /** Creates the first engine of `names` that works: [name, chunk size], or the reasons none did. Once per thread. */
  setup (names: string[], onComplete: (triples: Float64Array) => void): [string, number] | string
  /**
   * Decodes and checks `count` ops described by `slots[0, used)` and `refs`,
   * then submits them as one batch, or throws having submitted none.
   * Returns the batch's token. `together`: deliver each chunk in one piece.
   */
  submit (slots: Float64Array, used: number, count: number, refs: unknown[], together: boolean): number
  /** The same, run to completion before it returns (LIO_WAIT): each op's result. */
  submitWait (slots: Float64Array, used: number, count: number, refs: unknown[]): Float64Array
  /** Cancels op `index` of batch `token`: AIO_CANCELED, AIO_NOTCANCELED or AIO_ALLDONE. */
  cancel (token: number, index: number): number
  /** aio_cancel() within this thread's control-block ops: the block's op, or every one on `fd`; or -errno. */
  cancelFd (fd: number, block?: NativeControlBlock): number
  /** At process exit: blocks until every op in flight that changes a file is done, or the timeout; how many are not. */
  settle (timeoutMs: number): number
  /** At process exit: blocks until op `index` of batch `token` is done; its result, or undefined (not in flight, or the timeout). */
  settleOp (token: number, index: number, timeoutMs: number): number | undefined
  /** [submitted, completed, batches, notifications, inFlight] */
  stats (): [number, number, number, number, number]
  /** An ArrayBuffer whose memory starts at a multiple of `alignment` (a power of two). */
  alignedBuffer (size: number, alignment: number): ArrayBuffer
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown

export const native = load(join(__dirname, '..')) as Native
