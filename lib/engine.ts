// The bridge between promises and the native batch queue. Callers queue ops,
// then submit them as one batch; the engine reports completions in bulk and
// each batch's promise resolves with every op's result (bytes, fd, size, or
// a negative errno) in queue order.
import { native } from './binding'
import { invalidArgValue } from './errors'

export const BACKENDS = ['io_uring', 'posix', 'threadpool'] as const
export type Backend = typeof BACKENDS[number]

export const opcodes = native.opcodes

interface Batch {
  results: Float64Array
  remaining: number
  resolve: (results: Float64Array) => void
  /** Called as each op finishes, before the batch does. */
  each?: (index: number, result: number) => void
}

export class Engine {
  readonly backend: Backend
  /** Ops per kernel submission: AIO.LISTIO_MAX. */
  readonly listioMax: number
  #batches = new Map<number, Batch>()
  #lastToken = 0
  #queued = 0

  constructor (forced: string | undefined) {
    if (forced !== undefined && !(BACKENDS as readonly string[]).includes(forced)) {
      throw invalidArgValue('AIO_BACKEND', forced, `must be one of ${BACKENDS.join(', ')}`)
    }
    const names = forced === undefined ? [...BACKENDS] : [forced]
    // Read here, not by the addon: a worker's env is its own process.env.
    const tuning = {
      deliverViaQueue: process.env.AIO_URING_DELIVERY === 'queue',
      chainEveryWriteFile: process.env.AIO_URING_WRITE_FILE === 'chain'
    }
    const chosen = native.setup(names, (triples) => this.#onComplete(triples), tuning)
    if (typeof chosen === 'string') {
      throw Object.assign(new Error(`posix-aio: AIO_BACKEND=${String(forced)} is not available here (${chosen.replace(/; $/, '')})`),
        { code: 'ERR_AIO_BACKEND_UNAVAILABLE' })
    }
    this.backend = chosen[0] as Backend
    this.listioMax = chosen[1]
  }

  queueTransfer (code: number, fd: number, buffer: Uint8Array, start: number, length: number, position: number): void {
    native.queueTransfer(code, fd, buffer, start, length, position)
    this.#queued++
  }

  queueFd (code: number, fd: number): void {
    native.queueFd(code, fd)
    this.#queued++
  }

  /**
   * Open, write `data` from byte `start` on, sync (0 none, 1 data, 2 full)
   * and close a whole file as one op. Never throws for a buffer detached
   * since it was checked: that is a write of nothing.
   */
  queueWriteFile (path: string, flags: number, mode: number, data: Uint8Array, start: number, position: number,
    sync: number): void {
    const from = Math.min(start, data.byteLength)
    native.queueWriteFile(path, flags, mode, data, from, data.byteLength - from, position, sync)
    this.#queued++
  }

  queueOpen (path: string | Uint8Array, flags: number, mode: number): void {
    native.queueOpen(path, flags, mode)
    this.#queued++
  }

  /** readv/writev; `buffers` stays pinned in flight, so it must be the caller's own array. */
  queueVector (code: number, fd: number, buffers: Uint8Array[], position: number): void {
    native.queueVector(code, fd, buffers, position)
    this.#queued++
  }

  /** fstat into `out` (see native.queueFstat for the order of the fields). */
  queueFstat (fd: number, out: Float64Array): void {
    native.queueFstat(fd, out)
    this.#queued++
  }

  queueTruncate (fd: number, length: number): void {
    native.queueTruncate(fd, length)
    this.#queued++
  }

  /** Queues a control block's op; false if it finished at once (LIO_NOP). */
  queueBlock (block: Parameters<typeof native.queueBlock>[0], code: number, fd: number,
    buffer: Uint8Array | null, nbytes: number, offset: number, reqprio: number): boolean {
    const queued = native.queueBlock(block, code, fd, buffer, nbytes, offset, reqprio)
    if (queued) this.#queued++
    return queued
  }

  /**
   * Submits what was queued as one batch. With `separately`, each op's
   * result is handed over (to `each`) as soon as that op is done, rather than
   * with the rest of its chunk: for independent ops that share a submission.
   */
  submit (each?: Batch['each'], separately = false): Promise<Float64Array> {
    const count = this.#queued
    this.#queued = 0
    const results = new Float64Array(count)
    if (count === 0) return Promise.resolve(results)
    const token = this.#lastToken = (this.#lastToken + 1) >>> 0
    return new Promise((resolve) => {
      this.#batches.set(token, { results, remaining: count, resolve, each })
      native.submit(token, !separately)
    })
  }

  /** Runs what was queued to completion, blocking the thread (LIO_WAIT). */
  submitWait (): Float64Array {
    this.#queued = 0
    return native.submitWait()
  }

  #onComplete (triples: Float64Array): void {
    for (let i = 0; i < triples.length; i += 3) {
      // Every completion belongs to a batch submitted from this thread.
      const batch = this.#batches.get(triples[i])!
      const index = triples[i + 1]
      const result = triples[i + 2]
      batch.results[index] = result
      batch.each?.(index, result)
      if (--batch.remaining === 0) {
        this.#batches.delete(triples[i])
        batch.resolve(batch.results)
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
