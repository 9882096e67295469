// The only module that talks to the addon's submission core. A call
// describes all of its ops into a Batch, then submits it in one step: the
// addon decodes and checks every op before any reaches the engine, so a call
// that throws leaves nothing behind. Completions come back in bulk: a
// batch's promise resolves with every op's result (bytes, fd, size, or a
// negative errno) in order, or, for the ops of a tick (TickOp), each op is
// told its own. An op is named by its batch and index, and cancel() names
// exactly one op.
import { native, type NativeControlBlock, type OpArgs, type OpName } from './binding'
import { invalidArgValue, systemError } from './errors'

export type Backend = 'io_uring' | 'posix' | 'threadpool'
export const BACKENDS = native.engines as readonly Backend[]

const kinds = native.ops
const { AIO_ALLDONE, AIO_CANCELED, ECANCELED } = native.constants

/**
 * How long process.exit() waits for what was submitted before it: writes,
 * syncs and creates finish, as with fs (whose pool runs what was queued);
 * only something that cannot finish (a write to a full pipe nobody reads)
 * makes it wait this long.
 */
export const EXIT_WAIT_MS = 10_000

// Description arrays are reused, grown ones too: the addon has taken all it
// needs from one by the time submit returns, and allocating typed arrays
// per batch cost more than the rest of describing a tick's reads.
const spareSlots: Float64Array[] = []
const KEPT_SLOTS = 64 * 1024
const RELEASED = new Float64Array(0)

/** The ops of one call, described for the addon; nothing is submitted until Engine.submit. */
export class Batch {
  slots = spareSlots.pop() ?? new Float64Array(64)
  used = 0
  readonly refs: unknown[] = []
  count = 0
  /** Set once submitted, 0 again once every op is done; with an op's index it names the op. */
  token = 0

  /** Gives the description array back: the batch is submitted, or dropped. */
  release (): void {
    if (this.slots.length > 0 && this.slots.length <= KEPT_SLOTS && spareSlots.length < 16) spareSlots.push(this.slots)
    this.slots = RELEASED
    this.used = 0
  }

  /** Describes one op (numbers in `slots`, anything else in `refs`); returns its index. Never throws. */
  add<K extends OpName> (kind: K, ...args: OpArgs[K]): number {
    return this.#describe(kinds[kind], -1, 0, args)
  }

  /** An op run for a control block: aio_error/aio_return see its outcome. */
  addFor<K extends OpName> (block: NativeControlBlock, reqprio: number, kind: K, ...args: OpArgs[K]): number {
    return this.#describe(kinds[kind], this.refs.push(block) - 1, reqprio, args)
  }

  #describe (kind: number, block: number, reqprio: number, args: readonly unknown[]): number {
    let at = this.used
    if (at + 3 + args.length > this.slots.length) {
      const grown = new Float64Array(Math.max(this.slots.length * 2, at + 3 + args.length))
      grown.set(this.slots)
      this.slots = grown
    }
    const slots = this.slots
    slots[at++] = kind
    slots[at++] = block
    slots[at++] = reqprio
    for (const arg of args) slots[at++] = typeof arg === 'number' ? arg : this.refs.push(arg) - 1
    this.used = at
    return this.count++
  }
}

interface InFlight {
  batch: Batch
  remaining: number
  /** A tick's batch: each op is told its own result, and nothing else waits. */
  ops: TickOp[] | undefined
  results: Float64Array | undefined
  resolve: ((results: Float64Array) => void) | undefined
  /** Called as each op finishes, before the batch does. */
  each: ((index: number, result: number) => void) | undefined
}

/**
 * One op asked for now and submitted with every other op asked for in this
 * tick (file handles: 32 reads issued together are one submission). A
 * subclass says what the op is and what its result means.
 */
export abstract class TickOp {
  /** The op's batch and index, once submitted. */
  batch: Batch | undefined = undefined
  index = -1
  /** Canceled before it was submitted: it never will be. */
  dropped = false

  /** `alone`: a submission of its own (an op that may be canceled). */
  constructor (readonly alone: boolean) {}

  /** Adds exactly one op to the batch (Batch.add never throws). */
  abstract describe (batch: Batch): void
  /** The op's result: bytes, fd, 0, or a negative errno. */
  abstract complete (result: number): void
  /** The addon refused the op. */
  abstract refuse (error: unknown): void

  /** Cancels this op (and no other): AIO_CANCELED, AIO_NOTCANCELED or AIO_ALLDONE. */
  cancel (): number {
    if (this.batch !== undefined) return engine().cancel(this.batch, this.index)
    this.dropped = true
    return AIO_CANCELED
  }
}

/** A tick op whose result is a promise: rejected with the fs-shaped error for `syscall`. */
export class OneOp extends TickOp {
  readonly promise: Promise<number>
  #resolve!: (result: number) => void
  #reject!: (error: unknown) => void

  constructor (readonly syscall: string, readonly describe: (batch: Batch) => void, readonly path?: string,
    readonly dest?: string) {
    super(false)
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
  }

  complete (result: number): void {
    if (result < 0) this.#reject(systemError(result, this.syscall, this.path, this.dest))
    else this.#resolve(result)
  }

  refuse (error: unknown): void {
    this.#reject(error)
  }
}

export class Engine {
  readonly backend: Backend
  /** Ops per kernel submission: AIO.LISTIO_MAX. */
  readonly listioMax: number
  #batches = new Map<number, InFlight>()
  #tick: TickOp[] = []

  constructor (forced: string | undefined) {
    if (forced !== undefined && !(BACKENDS as readonly string[]).includes(forced)) {
      throw invalidArgValue('AIO_BACKEND', forced, `must be one of ${BACKENDS.join(', ')}`)
    }
    const names = forced === undefined ? [...BACKENDS] : [forced]
    const chosen = native.setup(names, (triples) => this.#onComplete(triples))
    if (typeof chosen === 'string') {
      throw Object.assign(new Error(`posix-aio: AIO_BACKEND=${String(forced)} is not available here (${chosen.replace(/; $/, '')})`),
        { code: 'ERR_AIO_BACKEND_UNAVAILABLE' })
    }
    this.backend = chosen[0] as Backend
    this.listioMax = chosen[1]
    process.on('exit', () => this.#atExit())
  }

  // The loop will not turn again: what this tick asked for is submitted
  // now, and everything that changes a file is waited for. Every wait at
  // exit shares one deadline.
  #atExit (): void {
    this.#exitDeadline = performance.now() + EXIT_WAIT_MS
    this.#flush()
    native.settle(EXIT_WAIT_MS)
  }

  #exitDeadline = 0

  /**
   * At process exit: waits for op `index` of a submitted batch, until the
   * exit's deadline; its result, or undefined if JS has had it already, or
   * it is still running.
   */
  settleAtExit (batch: Batch, index: number): number | undefined {
    return native.settleOp(batch.token, index, Math.max(0, Math.ceil(this.#exitDeadline - performance.now())))
  }

  /**
   * Submits the batch; throws (a bad op: nothing submitted) or resolves
   * every op's result, each chunk's together. `each` hears of each op as it
   * is handed over, before the batch resolves.
   */
  submit (batch: Batch, each?: InFlight['each']): Promise<Float64Array> {
    const count = batch.count
    if (count === 0) return Promise.resolve(new Float64Array(0))
    const token = this.#submit(batch, true)
    return new Promise((resolve) => {
      this.#batches.set(token, { batch, remaining: count, ops: undefined, results: new Float64Array(count), resolve, each })
    })
  }

  #submit (batch: Batch, together: boolean): number {
    try {
      batch.token = native.submit(batch.slots, batch.used, batch.count, batch.refs, together)
    } finally {
      batch.release()
    }
    return batch.token
  }

  /** Runs the batch to completion, blocking the thread (LIO_WAIT). */
  submitWait (batch: Batch): Float64Array {
    try {
      return native.submitWait(batch.slots, batch.used, batch.count, batch.refs)
    } finally {
      batch.release()
    }
  }

  /** Cancels op `index` of a submitted batch, and nothing else. */
  cancel (batch: Batch, index: number): number {
    return batch.token === 0 ? AIO_ALLDONE : native.cancel(batch.token, index)
  }

  /** aio_cancel(): this thread's own op for the block, or its control-block ops on `fd`; or -errno. */
  cancelFd (fd: number, block?: NativeControlBlock): number {
    return block === undefined ? native.cancelFd(fd) : native.cancelFd(fd, block)
  }

  /** Submits the op with the others asked for in this tick. */
  soon<T extends TickOp> (op: T): T {
    if (this.#tick.push(op) === 1) queueMicrotask(() => this.#flush())
    return op
  }

  // Everything asked for in this tick as one batch, each op settling as
  // soon as its own completion arrives. Engines may report a batch's ops
  // together (posix: one notification per lio_listio chunk), so an op that
  // may be canceled goes alone, or its cancellation would wait for its
  // neighbours.
  #flush (): void {
    const asked = this.#tick
    this.#tick = []
    let alone = 0
    for (const op of asked) if (op.alone) alone++
    if (alone === 0) return this.#submitSoon(asked)
    this.#submitSoon(asked.filter((op) => !op.alone))
    for (const op of asked) if (op.alone) this.#submitSoon([op])
  }

  #submitSoon (asked: TickOp[]): void {
    const batch = new Batch()
    const members: TickOp[] = []
    for (const op of asked) {
      if (op.dropped) {
        op.complete(-ECANCELED)
        continue
      }
      op.describe(batch)
      members.push(op)
    }
    if (members.length === 0) return
    try {
      const token = this.#submit(batch, false)
      this.#batches.set(token, {
        batch, remaining: members.length, ops: members, results: undefined, resolve: undefined, each: undefined
      })
    } catch (error) {
      // One op the addon refused: every op of the tick goes again on its
      // own, so that only that op's caller sees the error.
      if (members.length === 1) return members[0].refuse(error)
      for (const op of members) this.#submitSoon([op])
      return
    }
    for (let index = 0; index < members.length; index++) {
      members[index].batch = batch
      members[index].index = index
    }
  }

  #onComplete (triples: Float64Array): void {
    for (let i = 0; i < triples.length; i += 3) {
      // Every completion belongs to a batch submitted from this thread.
      const record = this.#batches.get(triples[i])!
      const index = triples[i + 1]
      const result = triples[i + 2]
      if (record.ops !== undefined) {
        record.ops[index].complete(result)
      } else {
        record.results![index] = result
        record.each?.(index, result)
      }
      if (--record.remaining === 0) {
        // The addon may give the token to another batch now.
        record.batch.token = 0
        this.#batches.delete(triples[i])
        record.resolve?.(record.results!)
      }
    }
  }
}

// Kept on the addon's exports (one object per thread), so that two copies of
// this module loaded in one thread (a CommonJS and an ESM path, say) share
// the thread's single engine instead of setting it up twice.
const kEngine = Symbol.for('posix-aio.engine')
const holder = native as unknown as { [kEngine]?: Engine }

/** This thread's engine, chosen on first use (AIO_BACKEND forces one). */
export function engine (): Engine {
  let current = holder[kEngine]
  if (current === undefined) {
    const forced = process.env.AIO_BACKEND
    current = holder[kEngine] = new Engine(forced === '' ? undefined : forced)
  }
  return current
}
