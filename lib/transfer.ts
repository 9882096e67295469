// One read, write, readv or writev call of a file handle, carried through
// the engine op by op (Transfer), and what the handle's calls share: the
// one-op helper, AbortSignal checks, fs.promises' errors.
import { native } from './binding'
import { byteLength, skipBytes } from './bytes'
import { engine, OneOp, TickOp, type Batch } from './engine'
import { systemError } from './errors'

const { AIO_NOTCANCELED, IOV_MAX } = native.constants

/** What fs.promises rejects with once a handle is closed. */
export function closedError (syscall: string): Error {
  return Object.assign(new Error('file closed'), { code: 'EBADF', syscall })
}

/** Node's AbortError. */
export function abortError (signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }),
    { name: 'AbortError', code: 'ABORT_ERR' })
}

/** fs's checkAborted: an aborted signal is an AbortError now. */
export function checkAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortError(signal)
}

/**
 * One op asked for in this tick; resolves its result (bytes, fd, 0) or
 * rejects its fs-shaped error (naming `path`, and `dest` for two paths).
 */
export function opResult (syscall: string, describe: (batch: Batch) => void, path?: string,
  dest?: string): Promise<number> {
  return engine().soon(new OneOp(syscall, describe, path, dest)).promise
}

/** Where a call's bytes go; `moved` is -1 until the call is done. */
export interface Spot { at: number, moved: number }

export type TransferKind = 'read' | 'write' | 'readv' | 'writev'

export const kSettle = Symbol('posix-aio.settle')
const NO_VIEWS: Uint8Array[] = []

/** The handle a transfer's bytes settle on (its position, its count of calls under way). */
export interface Settles {
  [kSettle]: (spot: Spot, moved: number) => void
}

// One read, write, readv or writev call: its ops in turn, each a tick op
// of its own. A write is finished across short writes, a vector goes
// IOV_MAX buffers per op, and a vector read stops at its first short op;
// resolves shape(bytes moved). With a signal, aborting cancels the op in
// flight; if the engine cannot stop it, the call rejects at once and stays
// under way (close waits) until the op ends.
export class Transfer<R> extends TickOp {
  done = 0
  /** The op in flight: its views (readv/writev), or its view and length, taken when it was asked for. */
  #views: Uint8Array[] = NO_VIEWS
  #length = 0
  #answered = false

  constructor (readonly handle: Settles, readonly kind: TransferKind, readonly fd: number,
    public rest: Uint8Array | Uint8Array[], readonly total: number, readonly spot: Spot,
    readonly signal: AbortSignal | undefined, readonly shape: (moved: number) => R,
    readonly resolve: (value: R) => void, readonly reject: (error: unknown) => void) {
    super(signal !== undefined)
  }

  // Asks for the next op.
  step (): void {
    this.batch = undefined
    this.index = -1
    if (Array.isArray(this.rest)) {
      if (this.rest.length === 0) return this.#end()
      this.#views = this.rest.slice(0, IOV_MAX)
    } else {
      // Taken now: a buffer detached before the op is described then fails
      // the engine's bounds check, rather than quietly moving nothing.
      this.#length = this.rest.byteLength
    }
    this.signal?.addEventListener('abort', this, { once: true })
    engine().soon(this)
  }

  describe (batch: Batch): void {
    const at = this.spot.at < 0 ? -1 : this.spot.at + this.done
    if (Array.isArray(this.rest)) batch.add(this.kind as 'readv' | 'writev', this.fd, this.#views, at)
    else batch.add(this.kind as 'read' | 'write', this.fd, this.rest, 0, this.#length, at)
  }

  // The signal's 'abort' (an EventListener object: no closure per op).
  handleEvent (): void {
    if (this.cancel() === AIO_NOTCANCELED) this.#answer(abortError(this.signal!))
  }

  complete (result: number): void {
    const { signal, rest } = this
    signal?.removeEventListener('abort', this)
    const write = this.kind === 'write' || this.kind === 'writev'
    if (result < 0) {
      // Aborted, any failure (ECANCELED above all) is the abort.
      return this.#end(signal !== undefined && signal.aborted ? abortError(signal) : systemError(result, write ? 'write' : 'read'))
    }
    this.done += result
    const more = write
      ? result > 0 && this.done < this.total
      : Array.isArray(rest) && result === byteLength(this.#views) && this.done < this.total
    if (!more) return this.#end()
    if (signal !== undefined && signal.aborted) return this.#end(abortError(signal))
    this.rest = Array.isArray(rest) ? skipBytes(rest, result) : rest.subarray(result)
    this.step()
  }

  refuse (error: unknown): void {
    this.signal?.removeEventListener('abort', this)
    this.#end(error)
  }

  // The call's ops are over: the position settles, close may go ahead.
  #end (error?: unknown): void {
    this.handle[kSettle](this.spot, this.done)
    this.#answer(error)
  }

  #answer (error?: unknown): void {
    if (this.#answered) return
    this.#answered = true
    if (error === undefined) this.resolve(this.shape(this.done))
    else this.reject(error)
  }
}
