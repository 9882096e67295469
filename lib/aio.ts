// The AIO namespace: the POSIX calls of aio(7), each a batch of one (or, for
// lioListio, one batch of many), and AIO.write / AIO.read of many files.
import { constants as osConstants } from 'node:os'
import { native } from './binding'
import { ControlBlock, kBytes, kNative, kSettled, kStarted } from './control_block'
import { Batch, engine, type Backend } from './engine'
import {
  batchError, invalidArgType, invalidArgValue, invalidState, outOfRange, systemError,
  validateFd, type SystemError
} from './errors'
import { readFiles, writeFiles, type ReadRequest, type WriteFilesOptions } from './many_files'

const C = native.constants
const EAGAIN = -osConstants.errno.EAGAIN

/** AIO.LIO_WAIT's type, so that lioListio's return type follows the mode. */
export type LioWait = number & { readonly __lioMode: 'wait' }
/** AIO.LIO_NOWAIT's type. */
export type LioNoWait = number & { readonly __lioMode: 'nowait' }

export interface AioStats {
  /** Ops handed to the engine. */
  submitted: number
  /** Ops whose completion reached JavaScript. */
  completed: number
  /** Submissions (one per lioListio, AIO.read/write call phase, …). */
  batches: number
  /** Times completions were handed to JavaScript; one per batch is the goal. */
  notifications: number
  inFlight: number
}

type BlockOp = 'read' | 'write' | 'fsync' | 'fdatasync'

// Checks a block for an op of `kind` (throwing as validate() does) and
// describes it into the batch; nothing is submitted yet.
function describeBlock (batch: Batch, cb: ControlBlock, kind: BlockOp): void {
  if (kind === 'read' || kind === 'write') {
    const bytes = cb[kBytes]('transfer')!
    batch.addFor(cb[kNative], cb.reqprio, kind, cb.fd, bytes, 0, cb.nbytes, cb.offset)
  } else {
    cb[kBytes]('fd')
    batch.addFor(cb[kNative], cb.reqprio, kind, cb.fd)
  }
}

// Not async: a bad block must throw synchronously, before anything is submitted.
function submitOne (cb: ControlBlock, kind: BlockOp, syscall: string): Promise<number> {
  const batch = new Batch()
  describeBlock(batch, cb, kind)
  let settle!: () => void
  const done = engine().submit(batch, () => settle())
  settle = cb[kStarted]()
  return done.then(([result]) => {
    if (result < 0) throw systemError(result, syscall)
    return result
  })
}

function assertBlock (value: unknown, name: string): ControlBlock {
  if (!(value instanceof ControlBlock)) throw invalidArgType(name, 'an instance of ControlBlock', value)
  return value
}

function assertSubmitted (cb: ControlBlock): void {
  if (cb[kNative].state() === 0) throw invalidState('the control block was never submitted')
}

function blockOp (cb: ControlBlock): 'read' | 'write' | 'nop' {
  return cb.opcode === C.LIO_WRITE ? 'write' : cb.opcode === C.LIO_NOP ? 'nop' : 'read'
}

function validateBlockList (value: unknown, name: string): Array<ControlBlock | null> {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value)
  const seen = new Set<ControlBlock>()
  // Array.from visits holes (as undefined), where map would skip them.
  return Array.from(value as unknown[], (entry, i) => {
    if (entry === null || entry === undefined) return null
    const cb = assertBlock(entry, `${name}[${i}]`)
    if (seen.has(cb)) throw invalidArgValue(`${name}[${i}]`, '<ControlBlock>', 'is listed twice')
    seen.add(cb)
    return cb
  })
}

// Turns the per-op results of a lioListio into its return value or error.
function lioOutcome (blocks: Array<ControlBlock | null>, raw: ArrayLike<number>): number[] {
  const results: Array<number | Error> = []
  const errors: SystemError[] = []
  for (let i = 0; i < blocks.length; i++) {
    const value = raw[i]
    if (value < 0) {
      const error = systemError(value, blockOp(blocks[i]!) === 'write' ? 'aio_write' : 'aio_read')
      errors.push(error)
      results.push(error)
    } else {
      results.push(value)
    }
  }
  if (errors.length > 0) throw batchError(errors, results, 'lio_listio', blocks.length)
  return results as number[]
}

function lioListio (mode: number, list: unknown): Promise<number[]> | number[] {
  if (mode !== C.LIO_WAIT && mode !== C.LIO_NOWAIT) {
    throw invalidArgValue('mode', mode, 'must be AIO.LIO_WAIT or AIO.LIO_NOWAIT')
  }
  const blocks = validateBlockList(list, 'list')
  // Every block is checked and described before any is submitted; LIO_NOP
  // entries are done at once and submit nothing.
  const batch = new Batch()
  const submittedAt: number[] = []
  const nops: ControlBlock[] = []
  blocks.forEach((cb, i) => {
    if (cb === null) return
    const kind = blockOp(cb)
    if (kind === 'nop') {
      cb[kBytes]('none')
      nops.push(cb)
      return
    }
    describeBlock(batch, cb, kind)
    submittedAt.push(i)
  })
  const e = engine()
  const raw = new Array<number>(blocks.length).fill(0)
  if (mode === C.LIO_WAIT) {
    const results = e.submitWait(batch)
    for (const cb of nops) cb[kNative].finishNop()
    submittedAt.forEach((at, k) => { raw[at] = results[k] })
    return lioOutcome(blocks, raw)
  }
  const settles: Array<() => void> = []
  const done = e.submit(batch, (k) => settles[k]())
  for (const cb of nops) cb[kNative].finishNop()
  for (const at of submittedAt) settles.push(blocks[at]![kStarted]())
  return done.then((results) => {
    submittedAt.forEach((at, k) => { raw[at] = results[k] })
    return lioOutcome(blocks, raw)
  })
}

function read (cb: ControlBlock): Promise<number>
function read (files: readonly string[] | Record<string, ReadRequest | null | undefined>): Promise<Record<string, Buffer>>
function read (target: unknown): Promise<number> | Promise<Record<string, Buffer>> {
  if (target instanceof ControlBlock) return submitOne(target, 'read', 'aio_read')
  return readFiles(target)
}

function write (cb: ControlBlock): Promise<number>
function write (files: Record<string, string | ArrayBufferView>, options?: WriteFilesOptions): Promise<Record<string, number>>
function write (target: unknown, options?: unknown): Promise<number> | Promise<Record<string, number>> {
  if (target instanceof ControlBlock) return submitOne(target, 'write', 'aio_write')
  return writeFiles(target, options)
}

function fsync (op: number, target: ControlBlock | number): Promise<void> {
  if (op !== C.O_SYNC && op !== C.O_DSYNC) {
    throw invalidArgValue('op', op, 'must be AIO.O_SYNC or AIO.O_DSYNC')
  }
  const kind = op === C.O_SYNC ? 'fsync' : 'fdatasync'
  if (target instanceof ControlBlock) {
    return submitOne(target, kind, 'aio_fsync').then(() => {})
  }
  if (typeof target !== 'number') {
    throw invalidArgType('cbOrFd', 'of type number or an instance of ControlBlock', target)
  }
  // A control block of its own: an aio_fsync request like any other, which
  // AIO.cancel(fd) reaches.
  const batch = new Batch()
  batch.addFor(new native.ControlBlock(), 0, kind, validateFd(target, 'cbOrFd'))
  return engine().submit(batch).then(([result]) => {
    if (result < 0) throw systemError(result, 'aio_fsync')
  })
}

function error (cb: ControlBlock): number {
  assertBlock(cb, 'cb')
  assertSubmitted(cb)
  return cb[kNative].error()
}

function return_ (cb: ControlBlock): number {
  assertBlock(cb, 'cb')
  assertSubmitted(cb)
  if (cb[kNative].state() === 1) throw systemError(-C.EINPROGRESS, 'aio_return')
  return cb[kNative].result()
}

function cancel (fd: number, cb?: ControlBlock | null): number {
  validateFd(fd)
  let result: number
  if (cb === undefined || cb === null) {
    result = engine().cancelFd(fd)
  } else {
    assertBlock(cb, 'cb')
    if (cb[kNative].state() === 1 && cb.fd !== fd) {
      throw invalidArgValue('fd', fd, `does not match the control block's fd (${cb.fd})`)
    }
    result = engine().cancelFd(fd, cb[kNative])
  }
  if (result < 0) throw systemError(result, 'aio_cancel')
  return result
}

function suspend (list: ReadonlyArray<ControlBlock | null | undefined>, timeoutMs?: number): Promise<void> {
  const blocks = validateBlockList(list, 'list').filter((cb): cb is ControlBlock => cb !== null)
  if (timeoutMs !== undefined) {
    if (typeof timeoutMs !== 'number') throw invalidArgType('timeoutMs', 'of type number', timeoutMs)
    if (!(timeoutMs >= 0) || timeoutMs > 2 ** 31 - 1) {
      throw outOfRange('timeoutMs', '>= 0 && <= 2147483647', timeoutMs)
    }
  }
  for (const cb of blocks) assertSubmitted(cb)
  if (blocks.length === 0 || blocks.some((cb) => cb[kNative].state() === 2)) return Promise.resolve()
  const done = Promise.race(blocks.map((cb) => cb[kSettled]))
  if (timeoutMs === undefined) return done
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(systemError(EAGAIN, 'aio_suspend')), timeoutMs)
  })
  return Promise.race([done, expired]).finally(() => clearTimeout(timer))
}

export const AIO = {
  LIO_READ: C.LIO_READ,
  LIO_WRITE: C.LIO_WRITE,
  LIO_NOP: C.LIO_NOP,
  LIO_WAIT: C.LIO_WAIT as LioWait,
  LIO_NOWAIT: C.LIO_NOWAIT as LioNoWait,
  AIO_CANCELED: C.AIO_CANCELED,
  AIO_NOTCANCELED: C.AIO_NOTCANCELED,
  AIO_ALLDONE: C.AIO_ALLDONE,
  EINPROGRESS: C.EINPROGRESS,
  ECANCELED: C.ECANCELED,
  O_SYNC: C.O_SYNC,
  O_DSYNC: C.O_DSYNC,

  /** Ops per lio_listio submission (the engine chunks larger lists). */
  get LISTIO_MAX (): number { return engine().listioMax },
  /** The engine in use in this thread. */
  get backend (): Backend { return engine().backend },

  read,
  write,
  fsync,
  error,
  return: return_,
  cancel,
  suspend,
  lioListio: lioListio as {
    /** Blocks until every op is done, like POSIX; throws an AggregateError (code EIO) if any failed. */
    (mode: LioWait, list: ReadonlyArray<ControlBlock | null | undefined>): number[]
    /** One batch, one notification per chunk of LISTIO_MAX; resolves every op's bytes in order. */
    (mode: LioNoWait, list: ReadonlyArray<ControlBlock | null | undefined>): Promise<number[]>
    (mode: number, list: ReadonlyArray<ControlBlock | null | undefined>): Promise<number[]> | number[]
  },

  stats (): AioStats {
    engine()
    const [submitted, completed, batches, notifications, inFlight] = native.stats()
    return { submitted, completed, batches, notifications, inFlight }
  }
}
