// What a LogWriter's write() has taken and no batch has yet (pieces as
// Buffers and the units each stands for, then the rope still growing), and
// the flushes waiting for it. Positions in the stream are units (string
// lengths, UTF-16 code units: bytes for ASCII; Buffer byte lengths); each
// only grows. Pending is [submitted, accepted).
import { native } from './binding'
import { byteLength } from './bytes'

const { IOV_MAX } = native.constants

// The growing string is made a Buffer at this many characters (see cut).
const PIECE = 64 * 1024

export class PendingLines {
  accepted = 0
  submitted = 0
  #pieces: Buffer[] = []
  #pieceUnits: number[] = []
  #tail = ''
  /** The rope's UTF-8 bytes, or -1 until they are needed (counted then). */
  #tailBytes = 0
  /** The bytes reaches() counted of the chunk being written, or -1 (a Buffer's are known). */
  chunkBytes = -1

  /** Units taken and not yet handed to a batch. */
  get units (): number {
    return this.accepted - this.submitted
  }

  /** A string (its UTF-8 bytes if counted, else -1), or a view, which is kept as it is (not copied). */
  add (chunk: string | Uint8Array, units: number, bytes: number): void {
    if (typeof chunk === 'string') {
      this.#tail += chunk
      this.#tailBytes = this.#tailBytes >= 0 && bytes >= 0 ? this.#tailBytes + bytes : -1
      if (this.#tail.length >= PIECE) this.#cut()
    } else {
      this.#cut()
      this.#pieces.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      this.#pieceUnits.push(units)
    }
    this.accepted += units
  }

  /** The units of each view the last take() gave. */
  takenUnits: number[] = []

  /** Takes what is pending, at most IOV_MAX pieces. */
  take (): Buffer[] {
    this.#cut()
    const views = this.#pieces.splice(0, IOV_MAX)
    this.takenUnits = this.#pieceUnits.splice(0, IOV_MAX)
    for (const count of this.takenUnits) this.submitted += count
    return views
  }

  /**
   * What was taken and not written goes back in front, standing for
   * `units` (counted with its last view: taken again whole, or not done).
   */
  putBack (views: Buffer[], units: number): void {
    this.#pieces.unshift(...views)
    this.#pieceUnits.unshift(...views.map((_, i) => i === views.length - 1 ? units : 0))
    this.submitted -= units
  }

  /** The bytes pending (what sonic-boom's retryEAGAIN calls remaining). */
  bytes (): number {
    if (this.#tailBytes < 0) this.#tailBytes = Buffer.byteLength(this.#tail)
    return byteLength(this.#pieces) + this.#tailBytes
  }

  // Whether `total` units (the buffered ones and a chunk's) reach `limit`
  // bytes, as sonic-boom counts: bytes are counted only when the units
  // cannot decide, a UTF-16 unit being 1 to 3 UTF-8 bytes; the chunk's
  // then (chunkBytes, -1 until counted) from `text`; `inFlight`: what the
  // batch in flight has not yet written.
  reaches (limit: number, total: number, text: string | Uint8Array, inFlight: readonly Uint8Array[]): boolean {
    if (total >= limit) return true
    if (total * 3 < limit) return false
    if (this.chunkBytes < 0) this.chunkBytes = Buffer.byteLength(text as string)
    return this.bytes() + byteLength(inFlight) + this.chunkBytes >= limit
  }

  /** Drops everything pending. */
  clear (): void {
    this.#pieces = []
    this.#pieceUnits = []
    this.#tail = ''
    this.#tailBytes = 0
    this.accepted = this.submitted
  }

  // The rope becomes a Buffer as soon as it is a piece long: the lines it
  // holds then die young, where a long-lived rope of many thousand lines
  // would be copied by every garbage collection until it is written.
  #cut (): void {
    if (this.#tail === '') return
    this.#pieces.push(Buffer.from(this.#tail))
    this.#pieceUnits.push(this.#tail.length)
    this.#tail = ''
    this.#tailBytes = 0
  }
}

interface Waiter {
  /** Resolved once this many units are done. */
  target: number
  resolve: () => void
  reject: (error: Error) => void
  /** Told of a failure as it happens (the promise's handlers run later). */
  failed?: (error: Error) => void
}

/** The flushes waiting for a position in the stream to be written. */
export class FlushWaiters {
  /** Everything before it is written at the chosen durability. */
  done = 0
  #waiting: Waiter[] = []

  /** Resolves once everything before `target` is done; `failed` hears of a failure at once. */
  wait (target: number, failed?: (error: Error) => void): Promise<void> {
    return new Promise((resolve, reject) => this.#waiting.push({ target, resolve, reject, failed }))
  }

  /** Everything up to `done` is on disk: resolve the flushes it covers. */
  settle (done: number): void {
    this.done = done
    let i = 0
    while (i < this.#waiting.length && this.#waiting[i].target <= done) this.#waiting[i++].resolve()
    this.#waiting.splice(0, i)
  }

  /** The flushes waiting for more than `position` fail with `error`. */
  failBeyond (position: number, error: Error): void {
    const beyond = this.#waiting.findIndex((waiter) => waiter.target > position)
    if (beyond < 0) return
    for (const waiter of this.#waiting.splice(beyond)) {
      waiter.failed?.(error)
      waiter.reject(error)
    }
  }

  /** Every flush still waiting fails with `error`. */
  fail (error: Error): void {
    this.failBeyond(-1, error)
  }
}
