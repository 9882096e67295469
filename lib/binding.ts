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
}

export interface Native {
  opcodes: {
    read: number, write: number, fsync: number, fdatasync: number,
    nop: number, open: number, close: number, fstatSize: number,
    readv: number, writev: number, ftruncate: number, fstat: number
  }
  constants: {
    LIO_READ: number, LIO_WRITE: number, LIO_NOP: number, LIO_WAIT: number, LIO_NOWAIT: number,
    AIO_CANCELED: number, AIO_NOTCANCELED: number, AIO_ALLDONE: number,
    EINPROGRESS: number, ECANCELED: number, O_SYNC: number, O_DSYNC: number,
    AIO_PRIO_DELTA_MAX: number,
    /** The most buffers one readv/writev op takes. */
    IOV_MAX: number
  }
  compiledBackends: string[]
  ControlBlock: new () => NativeControlBlock
  /**
   * Creates the first engine of `names` that works: [name, chunk size], or the reasons none did. Once per thread.
   * `tuning` flips the io_uring engine's measured choices, for bench/ to keep measuring them.
   */
  setup (names: string[], onComplete: (triples: Float64Array) => void,
    tuning: { deliverViaQueue: boolean, chainEveryWriteFile: boolean }): [string, number] | string
  queueTransfer (code: number, fd: number, buffer: Uint8Array, start: number, length: number, position: number): void
  queueFd (code: number, fd: number): void
  /** A Uint8Array path is taken as raw bytes. */
  queueOpen (path: string | Uint8Array, flags: number, mode: number): void
  /** open, write, sync (0 none, 1 data, 2 full) and close as one op. */
  queueWriteFile (path: string, flags: number, mode: number, buffer: Uint8Array, start: number, length: number,
    position: number, sync: number): void
  /** false when the block finished at once (LIO_NOP). */
  queueBlock (block: NativeControlBlock, code: number, fd: number, buffer: Uint8Array | null,
    nbytes: number, offset: number, reqprio: number): boolean
  /** readv/writev of whole buffers (at most IOV_MAX); `buffers` stays pinned, so pass an array nobody else holds. */
  queueVector (code: number, fd: number, buffers: Uint8Array[], position: number): void
  /** Fills `out` (18 or more) with dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks, then sec and nsec of atime, mtime, ctime, birthtime. */
  queueFstat (fd: number, out: Float64Array): void
  queueTruncate (fd: number, length: number): void
  /** An ArrayBuffer whose memory starts at a multiple of `alignment` (a power of two). */
  alignedBuffer (size: number, alignment: number): ArrayBuffer
  /** The largest power of two (up to 2^30) dividing the address of the view's first byte; for tests. */
  alignmentOf (view: Uint8Array): number
  /** `together`: deliver each chunk's results in one piece (the caller awaits the batch). */
  submit (token: number, together: boolean): void
  submitWait (): Float64Array
  cancel (fd: number, block?: NativeControlBlock): number
  /** [submitted, completed, batches, notifications, inFlight] */
  stats (): [number, number, number, number, number]
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown

export const native = load(join(__dirname, '..')) as Native
