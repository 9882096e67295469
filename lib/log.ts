// LogWriter: batched, durable log flushing (group commit) on the engine.
//
// write() only appends to memory: strings are concatenated (V8 keeps the
// result as a rope, so no copy per line) and Buffers are kept as they are.
// A batch takes everything pending, converts it to Buffers, writes it with
// one engine op (write, or writev for several pieces) and, for durability
// 'data' / 'full', then submits fdatasync / fsync: a second submission,
// because ops inside one io_uring submission are not ordered. While a batch
// is in flight the next one accumulates, and it starts as soon as the first
// is done: the more lines arrive, the more each sync covers.
// This file holds the class and its state machine; options are parsed in
// log_options.ts, what is pending and the flushes waiting for it are
// log_pending.ts, the engine ops (the batch among them) log_ops.ts, and
// flushSync(), sync mode and the exit flush write through log_sync.ts.
import { EventEmitter } from 'node:events'
import { closeSync } from 'node:fs'
import { byteLength } from './bytes'
import { engine } from './engine'
import { codeError, invalidArgType, invalidState, validateCallback, validatePath, validateView } from './errors'
import { parseLogWriterOptions, type LogWriterConfig, type LogWriterOptions } from './log_options'
import { closeFile, openFile, syncQuietly, writeBatch, type BatchWriter, type InFlightBatch } from './log_ops'
import { FlushWaiters, PendingLines } from './log_pending'
import { flushAtExit, forgetAtExit, kExit, openAtExit, openNow, WriteRetries, writeTaken } from './log_sync'

export type { Durability, LogWriterOptions } from './log_options'

type Callback = (error?: Error | null) => void
const NONE: readonly Buffer[] = []

type Life = 'open' | 'ending' | 'stopped'
type Phase = 'opening' | 'idle' | 'writing' | 'reopening' | 'closing' | 'closed'

/**
 * Batched, durable log writing for pino and others: `pino(new LogWriter({ dest }))`.
 * Events: 'ready', 'write', 'drain', 'drop', 'error', 'finish', 'close'.
 */
class LogWriterStream extends EventEmitter {
  /** true until end() or destroy(), as sonic-boom's own property: pino checks it. */
  writable = true

  #path: string | undefined
  #fd: number
  readonly #config: LogWriterConfig
  #periodic: NodeJS.Timeout | undefined

  /** Whether lines are taken: until end(), or until destroy() or a failure ('stopped'). */
  #life: Life = 'open'
  /** What the descriptor is doing; everything but 'idle' owns it. */
  #phase: Phase = 'idle'
  /** The batch in flight, while #phase is 'writing'. */
  #batch: InFlightBatch | undefined
  /** Why writing stopped: the IO error. */
  #failed: Error | undefined
  /** destroy() was called: the error of what it leaves undone. */
  #destroyed: Error | undefined
  /** end() was called. */
  #ended = false

  /** What write() took and no batch has yet; in flight: [#batch.start, #batch.end). */
  readonly #pending = new PendingLines()
  /** Written by flushSync while a batch was in flight: done when the batch is. */
  #syncedTo = 0
  /** What flush(), end() or periodicFlush asked to be written, below minLength too. */
  #flushTarget = 0
  readonly #flushes = new FlushWaiters()
  #endCallbacks: Callback[] = []

  /** A batch is due to start (setImmediate or the flushInterval timer). */
  #scheduled = false
  #lastStart = 0
  /** write() returned false: 'drain' is owed. */
  #needDrain = false
  /** sync mode: a 'drain' is due on the next tick. */
  #drainSoon = false
  /** Writes that found the descriptor full or busy, retried in a row. */
  #retries!: WriteRetries
  /** flush(cb) callbacks waiting: they hear of a failure. */
  #flushCallbacks = 0
  #reopenPath: string | undefined

  constructor (options: LogWriterOptions) {
    super()
    const config = parseLogWriterOptions(options)
    this.#config = config
    this.#retries = new WriteRetries(config)
    this.#path = config.path
    this.#fd = config.fd
    engine() // chosen now: an unavailable AIO_BACKEND throws here
    // sync mode opens at once, as sonic-boom's: a failure is thrown.
    if (this.#path !== undefined && config.synchronous) this.#fd = openNow(this.#path, config)
    flushAtExit(this)
    if (config.periodicFlush > 0) {
      this.#periodic = setInterval(() => this.#request(), config.periodicFlush).unref()
    }
    if (this.#fd >= 0) {
      process.nextTick(() => this.emit('ready'))
    } else {
      this.#phase = 'opening'
      void openFile(this.#path!, this.#config).then((result) => {
        // Destroyed meanwhile: a failed open is nobody's error any more.
        if (typeof result !== 'number') return this.#life === 'stopped' ? void this.#close() : this.#fail(result)
        this.#fd = result
        // Open: 'ready' listeners may write, reopen or destroy; what is due then runs once they are done.
        this.#phase = 'idle'
        this.#flushes.settle(this.#flushes.done)
        this.emit('ready')
        if (this.#phase === 'idle') this.#idle()
      })
    }
  }

  /**
   * Buffers a chunk; false once maxBufferedBytes are buffered or in flight
   * (the chunk is kept; 'drain' follows). As sonic-boom's: after end() it
   * is still taken (and written before the close); once closed, or after
   * destroy(), it throws; after a failed open it is dropped.
   */
  write (chunk: string | Uint8Array): boolean {
    if (this.#destroyed !== undefined) throw this.#destroyed
    if (this.#failed !== undefined) return false
    if (this.#phase === 'closing' || this.#phase === 'closed') throw destroyedError()
    let units: number
    if (typeof chunk === 'string') {
      units = chunk.length
    } else if (chunk instanceof Uint8Array) {
      // Written later, from a view (not a copy): its length must hold.
      units = validateView(chunk, 'chunk').byteLength
    } else {
      throw invalidArgType('chunk', 'of type string or an instance of Buffer or Uint8Array', chunk)
    }
    const buffered = this.#pending.units + (this.#batch === undefined ? 0 : this.#batch.end - this.#batch.start)
    const { maxLength, maxBufferedBytes } = this.#config
    const pending = this.#pending
    const inFlight = this.#batch?.rest ?? NONE
    // A Buffer's bytes are known; a string's are counted if a limit needs them.
    pending.chunkBytes = typeof chunk === 'string' ? -1 : units
    if (maxLength > 0 && pending.reaches(maxLength + 1, buffered + units, chunk, inFlight)) {
      this.emit('drop', chunk)
      pending.chunkBytes = 0
      return !pending.reaches(maxBufferedBytes, buffered, '', inFlight)
    }
    pending.add(chunk, units, pending.chunkBytes)
    if (this.#phase === 'idle' && !this.#scheduled && this.#pending.units >= this.#config.minLength) this.#schedule()
    // The chunk is among the buffered bytes now.
    pending.chunkBytes = 0
    if (!pending.reaches(maxBufferedBytes, buffered + units, '', inFlight)) return true
    this.#needDrain = true
    return false
  }

  /**
   * Resolves once everything written before it is on disk at the chosen
   * durability; rejects if writing failed or the writer was destroyed.
   * `cb(error?)` is called too (and then the promise needs no handler).
   */
  flush (cb?: Callback): Promise<void> {
    const callback = validateCallback(cb)
    // As sonic-boom's flush(cb), which listens for 'error' while it
    // waits: a failure meanwhile is the callback's (called as it happens,
    // in the failing call in sync mode), not an uncaught one.
    let calledBack = callback === undefined
    if (callback !== undefined) this.#flushCallbacks++
    const done = (error?: Error): void => {
      if (calledBack) return
      calledBack = true
      this.#flushCallbacks--
      callback!(error)
    }
    let settled: Promise<void>
    const failed = this.#failed ?? this.#destroyed ?? (this.#phase === 'closing' || this.#phase === 'closed' ? destroyedError() : undefined)
    if (failed !== undefined) {
      done(failed)
      settled = Promise.reject(failed)
    } else if (this.#flushes.done >= this.#pending.accepted && this.#phase !== 'opening' && this.#phase !== 'reopening') {
      settled = Promise.resolve()
      // As sonic-boom's: without minLength, called back at once; with it,
      // it writes nothing then, and 'drain' follows that write.
      if (this.#config.minLength === 0) done()
      else if (this.#life === 'open') {
        if (this.#config.synchronous) this.#drainAfter()
        else setImmediate(() => this.emit('drain'))
      }
    } else {
      // Nothing new to write during an open or reopen: done once it is, as sonic-boom's.
      const target = this.#pending.accepted
      settled = this.#flushes.wait(target, done)
      // As sonic-boom's flush(cb): once written, synced (unless each batch was).
      if (this.#config.sync === undefined) settled = settled.then(() => this.#fd < 0 ? undefined : syncQuietly(this.#fd, this.#path))
      this.#request()
    }
    // Without a callback the promise is the only way to hear of a failure,
    // and nobody may be listening: it must not be an unhandled rejection
    // (sonic-boom's flush() never throws). Awaiting it still sees the error.
    if (callback !== undefined) settled.then(() => done(), done)
    else settled.catch(() => {})
    return settled
  }

  /**
   * Writes what is pending now, synchronously (fs.writeSync), and syncs it
   * at the chosen durability. Throws before 'ready'. A batch in flight that
   * has not started is canceled and written first; one already running is
   * not waited for (its lines may land after these).
   */
  flushSync (): void {
    if (this.#fd < 0) throw invalidState('the LogWriter is not open (wait for \'ready\')')
    this.#writeSync(this.#fd)
  }

  /**
   * Closes the file and opens it again (`path` to switch to another one),
   * once the batch in flight is done; lines written meanwhile are kept and
   * go to the new file. 'ready' follows; a failed open is an 'error' and
   * writing goes on to the old file.
   */
  reopen (path?: string): void {
    if (path !== undefined) validatePath(path, 'path')
    if (this.#path === undefined) {
      throw invalidState('reopen() needs a path: this LogWriter was given a file descriptor')
    }
    if (this.#life !== 'open') return
    if (this.#config.synchronous) return this.#reopenNow(path ?? this.#path!)
    this.#reopenPath = path ?? this.#path
    if (this.#phase === 'idle') void this.#reopen()
  }

  // sync mode's reopen, as sonic-boom's: the new file opened at once
  // (a failure thrown, and an 'error' for listeners), then the old closed.
  #reopenNow (path: string): void {
    let fd: number
    try {
      fd = openNow(path, this.#config)
    } catch (error) {
      process.nextTick(() => { if (this.listenerCount('error') > 0) this.emit('error', error) })
      throw error
    }
    closeSync(this.#fd)
    this.#fd = fd
    this.#path = path
    process.nextTick(() => this.emit('ready'))
    this.#drainAfter()
  }

  /** Writes everything, then closes: 'finish', then 'close'. `cb` on finish (or the error). */
  end (cb?: Callback): this {
    const callback = validateCallback(cb)
    if (this.#failed !== undefined) {
      if (callback !== undefined) process.nextTick(callback, this.#failed)
      return this
    }
    // As sonic-boom's: an end() after destroy() or the close throws.
    if (this.#destroyed !== undefined) throw this.#destroyed
    if (this.#phase === 'closing' || this.#phase === 'closed') throw destroyedError()
    if (callback !== undefined) this.#endCallbacks.push(callback)
    if (this.#life === 'ending') return this
    this.#live('ending')
    this.#ended = true
    this.#flushTarget = this.#pending.accepted
    if (this.#phase === 'idle') this.#idle()
    return this
  }

  /**
   * Takes no more lines (write() throws) and closes ('close', no
   * 'finish'), as sonic-boom's: what its write in flight would hold is
   * written (the batch in flight; or, when none is, what is pending if it
   * reaches minLength, as sonic-boom's write() would have started it), the
   * rest is dropped (and a retry waited for canceled). Flushes not covered
   * by what is written reject.
   */
  destroy (): this {
    if (this.#life === 'stopped') return this
    // As sonic-boom's: a flush waiting for the open is an 'error' too.
    const flushWaitsForOpen = this.#phase === 'opening' && this.#flushCallbacks > 0
    this.#live('stopped')
    const destroyed = this.#destroyed = destroyedError()
    const batch = this.#batch
    if (batch !== undefined && batch.op === undefined) batch.dropped = true
    if (this.#phase !== 'idle' || this.#pending.units < this.#config.minLength) {
      this.#pending.clear()
      // During an open or a reopen every flush waits for it, and fails.
      const written = this.#phase !== 'writing' ? -1 : batch!.dropped ? this.#flushes.done : batch!.end
      this.#flushes.failBeyond(written, destroyed)
    }
    this.#flushTarget = this.#pending.accepted
    if (flushWaitsForOpen) this.emit('error', destroyed)
    if (this.#phase === 'idle') this.#idle()
    return this
  }

  // At exit the event loop is gone: what is pending is written with
  // fs.writeSync, after what the batch in flight (at most one) has not
  // written (see unwrittenOf): every line on disk, in order, once.
  [kExit] (): void {
    if (this.#pending.units === 0 && this.#batch === undefined) return
    try {
      const fd = this.#fd >= 0 ? this.#fd : openAtExit(this.#path!, this.#config)
      if (fd !== undefined) this.#writeSync(fd, true)
    } catch (error) {
      if (this.listenerCount('error') > 0) this.emit('error', error)
    }
  }

  /** The descriptor written to: -1 before a path is open and once closed. */
  get fd (): number { return this.#fd }
  /** The file written to (the new one after reopen(path)); null for a descriptor given. */
  get file (): string | null { return this.#path ?? null }
  /** Closed or closing, after end() or destroy() (or a failure). */
  get destroyed (): boolean { return this.#life === 'stopped' || this.#phase === 'closing' || this.#phase === 'closed' }
  get append (): boolean { return this.#config.append }
  get mkdir (): boolean { return this.#config.mkdir }
  get mode (): number { return this.#config.mode }
  get minLength (): number { return this.#config.minLength }
  get maxLength (): number { return this.#config.maxLength }
  get maxWrite (): number { return this.#config.maxWrite }
  /** sonic-boom's `fsync: true`: durability 'full'. */
  get fsync (): boolean { return this.#config.sync === 'fsync' }
  /** sonic-boom's count of bytes taken and not yet written (its tests read it). */
  get _len (): number {
    return this.#pending.bytes() + byteLength(this.#batch?.rest ?? [])
  }

  /** sonic-boom's flag (its tests read it): an open, a reopen or a write (or its retry) is under way. */
  get _writing (): boolean {
    return this.#phase === 'opening' || this.#phase === 'reopening' || (this.#phase === 'writing' && !this.#batch!.takenOver)
  }

  /** sonic-boom's synchronous mode. */
  get sync (): boolean { return this.#config.synchronous }

  #live (life: Life): void {
    this.#life = life
    this.writable = life === 'open'
  }

  // Marks what a flush or the end asked for and starts a batch if idle.
  #request (): void {
    this.#flushTarget = this.#pending.accepted
    if (this.#phase === 'idle' && !this.#scheduled && this.#pending.units > 0) this.#schedule()
  }

  #schedule (): void {
    // sync mode: written now, as sonic-boom's write() does. Without
    // durability or flushInterval, started now too, as sonic-boom's write()
    // starts its write: what follows gathers behind it. With them, it
    // waits for the event loop (or the interval) to gather more lines,
    // for each sync (or write) to cover.
    const { synchronous, sync, flushInterval } = this.#config
    if (synchronous || (sync === undefined && flushInterval === 0)) return void (this.#wantsBatch() && this.#startBatch())
    this.#scheduled = true
    const run = (): void => {
      this.#scheduled = false
      if (this.#phase === 'idle' && this.#wantsBatch()) this.#startBatch()
    }
    if (this.#config.flushInterval === 0) {
      setImmediate(run)
    } else {
      setTimeout(run, Math.max(0, this.#lastStart + this.#config.flushInterval - performance.now()))
    }
  }

  #wantsBatch (): boolean {
    const pending = this.#pending.units
    return pending > 0 && (pending >= this.#config.minLength || this.#flushTarget > this.#pending.submitted ||
      this.#life === 'ending')
  }

  #startBatch (): void {
    if (this.#config.synchronous) return this.#writeNow()
    this.#phase = 'writing'
    this.#lastStart = performance.now()
    const start = this.#pending.submitted
    const views = this.#pending.take()
    const batch: InFlightBatch = { start, end: this.#pending.submitted, rest: views, op: undefined, result: undefined, takenOver: false, dropped: false }
    this.#batch = batch
    void writeBatch(this.#fd, this.#path, this.#config.sync, batch, this.#batchWriter).then((error) => {
      this.#batch = undefined
      if (error !== undefined) return this.#writeFailed(error, batch)
      if (!batch.dropped) this.#flushes.settle(Math.max(batch.end, this.#syncedTo))
      this.#idle(true)
    })
  }

  // What writeBatch asks of the writer.
  readonly #batchWriter: BatchWriter = {
    retry: (error, writing, remaining) => this.#retries.allow(error, writing, remaining),
    remaining: () => this.#pending.bytes(),
    wrote: (bytes) => {
      this.#retries.reset()
      // As sonic-boom: the bytes each write wrote.
      this.emit('write', bytes)
    }
  }

  // sync mode's batch: everything pending, with fs.writeSync; a failure
  // is the writer's, as a batch's.
  #writeNow (): void {
    let written: number
    try {
      written = this.#writeSync(this.#fd)
    } catch (error) {
      return this.#writeFailed(error as Error)
    }
    this.emit('write', written)
    this.#idle(true)
  }

  #writeSync (fd: number, atExit = false): number {
    const batch = this.#batch
    const written = writeTaken(fd, this.#pending, batch, this.#config.sync, this.#retries, atExit)
    const end = this.#pending.submitted
    if (batch === undefined) this.#flushes.settle(end)
    else this.#syncedTo = end
    return written
  }

  // The descriptor is free: do what is due next. 'drain', as sonic-boom:
  // once what was buffered has been written (after a batch or a reopen,
  // with no next batch due), and after write() returned false once below
  // maxBufferedBytes again.
  #idle (written = false): void {
    this.#phase = 'idle'
    if (this.#life === 'stopped') {
      return this.#failed === undefined && this.#fd >= 0 && this.#pending.units > 0 ? this.#startBatch() : void this.#close()
    }
    if (this.#reopenPath !== undefined) return void this.#reopen()
    const drain = (this.#needDrain && this.#pending.units < this.#config.maxBufferedBytes) ||
      (written && this.#life === 'open' && !this.#wantsBatch())
    if (this.#wantsBatch()) {
      if (this.#config.flushInterval === 0) this.#startBatch()
      else if (!this.#scheduled) this.#schedule()
    } else if (this.#life === 'ending') {
      void this.#close()
    }
    if (drain) {
      this.#needDrain = false
      if (this.#config.synchronous) this.#drainAfter()
      else this.emit('drain')
    }
  }

  // sync mode's 'drain': after the call that wrote (or reopened), for
  // those listening by then, once, as sonic-boom's.
  #drainAfter (): void {
    if (this.#drainSoon) return
    this.#drainSoon = true
    process.nextTick(() => {
      this.#drainSoon = false
      if (this.listenerCount('drain') > 0) this.emit('drain')
    })
  }

  // The new file is opened before the old one is closed: lines go to one
  // or the other, never nowhere.
  async #reopen (): Promise<void> {
    this.#phase = 'reopening'
    const path = this.#reopenPath!
    this.#reopenPath = undefined
    const result = await openFile(path, this.#config)
    if (typeof result === 'number') {
      await closeFile(this.#fd)
      this.#fd = result
      this.#path = path
      this.emit('ready')
      this.#flushes.settle(this.#flushes.done)
    } else {
      this.emit('error', result)
    }
    this.#idle(true)
  }

  // No more writing: pending lines dropped, waiting flushes and end callbacks told.
  #stop (error: Error): void {
    this.#live('stopped')
    this.#failed = error
    this.#pending.clear()
    this.#flushes.fail(error)
    for (const callback of this.#endCallbacks.splice(0)) callback(error)
  }

  // A failed open: the writer stops, closes, reports it.
  #fail (error: Error): void {
    const told = this.#flushCallbacks > 0
    this.#stop(error)
    void this.#close()
    this.#report(error, told)
  }

  // A failed write or sync: as sonic-boom's, the writer goes on. What the
  // batch did not write is pending again (flushSync gave back what it did
  // not write already), tried with the next write(), flush() or end(); the
  // flushes waiting hear of the failure. After end(), unless an 'error'
  // listener wrote again, the end gives up: its callbacks get the error,
  // the file closes (sonic-boom's would wait for a write that never comes).
  #writeFailed (error: Error, batch?: InFlightBatch): void {
    const told = this.#flushCallbacks > 0
    if (batch !== undefined && batch.rest.length > 0) this.#pending.putBack(batch.rest, batch.end - batch.start)
    this.#phase = 'idle'
    this.#flushes.fail(error)
    this.#report(error, told)
    if (this.#phase !== 'idle') return
    if (this.#life === 'ending') {
      this.#stop(error)
      void this.#close()
    } else if (this.#life === 'stopped') {
      void this.#close()
    } else if (this.#reopenPath !== undefined) {
      void this.#reopen()
    }
  }

  // An 'error', unless a flush(cb) heard of it and nobody listens.
  #report (error: Error, told: boolean): void {
    if (!told || this.listenerCount('error') > 0) this.emit('error', error)
  }

  // Closes the descriptor (unless it is stdout, stderr or never opened),
  // then 'finish' (after end()) and 'close'.
  async #close (): Promise<void> {
    this.#phase = 'closing'
    forgetAtExit(this)
    clearInterval(this.#periodic)
    const fd = this.#fd
    this.#fd = -1
    if (fd >= 0 && fd !== 1 && fd !== 2) await closeFile(fd)
    else await Promise.resolve()
    // destroy() after end() leaves nothing undone: the end is done, as sonic-boom's.
    const error = this.#failed ?? (this.#ended ? undefined : this.#destroyed)
    if (error === undefined) {
      this.emit('finish')
      for (const callback of this.#endCallbacks.splice(0)) callback()
    } else {
      // Flushes left by destroy() while an open that failed was under way
      // (end() would have made it no error; a failure told them already).
      this.#flushes.fail(error)
    }
    this.#phase = 'closed'
    this.emit('close')
  }
}

// sonic-boom's 'SonicBoom destroyed', for what is called after destroy() or the close.
function destroyedError (): Error {
  return codeError('LogWriter destroyed', 'ERR_STREAM_DESTROYED')
}

/** The LogWriter as sonic-boom's constructor is: `new LogWriter(options)`, or `LogWriter(options)`. */
export interface LogWriter extends LogWriterStream {}
// A function, not a Proxy of the class: objects made with a Proxy as
// new.target do not get the class's fast shape, and writes on them run
// slower. A subclass's new.target is kept.
export const LogWriter = function LogWriter (options: LogWriterOptions): LogWriterStream {
  return new.target === undefined || new.target === LogWriter
    ? new LogWriterStream(options)
    : Reflect.construct(LogWriterStream, [options], new.target)
} as unknown as typeof LogWriterStream & ((options: LogWriterOptions) => LogWriter)
LogWriter.prototype = LogWriterStream.prototype
Object.defineProperty(LogWriterStream.prototype, 'constructor', { value: LogWriter, writable: true, configurable: true })
