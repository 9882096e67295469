// ControlBlock: a struct aiocb as JavaScript sees it. Fields are validated as
// they are set; the native block (which owns the real aiocb) is armed from
// them at submission. While the block is in flight its fields are frozen.
import { native, type NativeControlBlock } from './binding'
import { toBytes } from './bytes'
import {
  invalidArgType, invalidArgValue, invalidState, outOfRange, validateInteger, validateObject, validateView, MAX_FD
} from './errors'

const { LIO_READ, LIO_WRITE, LIO_NOP, AIO_PRIO_DELTA_MAX } = native.constants

export interface ControlBlockOptions {
  fd?: number
  buffer?: ArrayBufferView | null
  /** Bytes to transfer; defaults to the buffer's length. */
  nbytes?: number
  /** File offset. */
  offset?: number
  reqprio?: number
  /** AIO.LIO_READ (default), AIO.LIO_WRITE or AIO.LIO_NOP; used by lioListio. */
  opcode?: number
}

/** What a submission needs of a block: everything, only its fd, or nothing. */
export type BlockUse = 'transfer' | 'fd' | 'none'

export const kNative = Symbol('posix-aio.native')
export const kBytes = Symbol('posix-aio.bytes')
export const kSettled = Symbol('posix-aio.settled')
export const kStarted = Symbol('posix-aio.started')

export class ControlBlock {
  readonly [kNative]: NativeControlBlock = new native.ControlBlock()
  #fd = -1
  #buffer: ArrayBufferView | null = null
  #nbytes: number | undefined
  #offset = 0
  #reqprio = 0
  #opcode = LIO_READ
  #settled: Promise<void> = Promise.resolve()

  constructor (options: ControlBlockOptions = {}) {
    validateObject(options, 'options')
    if (options.fd !== undefined) this.fd = options.fd
    if (options.buffer !== undefined) this.buffer = options.buffer
    if (options.nbytes !== undefined) this.nbytes = options.nbytes
    if (options.offset !== undefined) this.offset = options.offset
    if (options.reqprio !== undefined) this.reqprio = options.reqprio
    if (options.opcode !== undefined) this.opcode = options.opcode
  }

  get fd (): number { return this.#fd }
  set fd (value: number) {
    this.#assertIdle()
    this.#fd = validateInteger(value, 'cb.fd', -1, MAX_FD)
  }

  get buffer (): ArrayBufferView | null { return this.#buffer }
  set buffer (value: ArrayBufferView | null) {
    this.#assertIdle()
    if (value !== null) validateView(value, 'cb.buffer')
    this.#buffer = value
  }

  /** Defaults to the buffer's byte length until set. */
  get nbytes (): number { return this.#nbytes ?? (this.#buffer === null ? 0 : toBytes(this.#buffer).byteLength) }
  set nbytes (value: number) {
    this.#assertIdle()
    this.#nbytes = validateInteger(value, 'cb.nbytes', 0, Number.MAX_SAFE_INTEGER)
  }

  get offset (): number { return this.#offset }
  set offset (value: number) {
    this.#assertIdle()
    this.#offset = validateInteger(value, 'cb.offset', 0, Number.MAX_SAFE_INTEGER)
  }

  get reqprio (): number { return this.#reqprio }
  set reqprio (value: number) {
    this.#assertIdle()
    this.#reqprio = validateInteger(value, 'cb.reqprio', 0, AIO_PRIO_DELTA_MAX)
  }

  get opcode (): number { return this.#opcode }
  set opcode (value: number) {
    this.#assertIdle()
    if (value !== LIO_READ && value !== LIO_WRITE && value !== LIO_NOP) {
      throw invalidArgValue('cb.opcode', value, 'must be AIO.LIO_READ, AIO.LIO_WRITE or AIO.LIO_NOP')
    }
    this.#opcode = value
  }

  /** Throws the error a submission of this block would throw; else returns it. */
  validate (): this {
    this.#check(this.#opcode === LIO_NOP ? 'none' : 'transfer')
    return this
  }

  /** Back to a fresh block; throws while in flight. */
  reset (): this {
    if (!this[kNative].reset()) throw invalidState('cannot reset a control block that is in flight')
    this.#fd = -1
    this.#buffer = null
    this.#nbytes = undefined
    this.#offset = 0
    this.#reqprio = 0
    this.#opcode = LIO_READ
    return this
  }

  /** Validates for a use (a transfer, an fd-only op, a NOP); returns the bytes to pin. */
  [kBytes] (use: BlockUse): Uint8Array | null {
    return this.#check(use)
  }

  /** Resolves when the submission in flight has been delivered. */
  get [kSettled] (): Promise<void> { return this.#settled }

  /** Marks a submission as begun; returns the function that ends it. */
  [kStarted] (): () => void {
    let settle!: () => void
    this.#settled = new Promise((resolve) => { settle = resolve })
    return settle
  }

  #check (use: BlockUse): Uint8Array | null {
    if (this[kNative].state() === 1) throw invalidState('the control block is already in flight')
    if (use === 'none') return null
    if (this.#fd < 0) throw outOfRange('cb.fd', `>= 0 && <= ${MAX_FD}`, this.#fd)
    if (use === 'fd') return null
    if (this.#buffer === null) {
      throw invalidArgType('cb.buffer', 'an instance of Buffer, TypedArray, or DataView', null)
    }
    const bytes = toBytes(this.#buffer)
    if (this.nbytes > bytes.byteLength) {
      throw outOfRange('cb.nbytes', `<= the buffer's byte length (${bytes.byteLength})`, this.nbytes)
    }
    return bytes
  }

  #assertIdle (): void {
    if (this[kNative].state() === 1) throw invalidState('cannot change a control block while it is in flight')
  }
}
