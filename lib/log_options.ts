// LogWriter's options (sonic-boom's names among them), validated once into
// the frozen LogWriterConfig the writer reads.
import { constants as fsConstants } from 'node:fs'
import {
  invalidArgType, invalidArgValue, outOfRange, validateBoolean, validateFd, validateInteger, validateObject, validatePath
} from './errors'

const { O_APPEND, O_CREAT, O_TRUNC, O_WRONLY } = fsConstants

const TIMEOUT_MAX = 2 ** 31 - 1

export type Durability = 'none' | 'data' | 'full'

export interface LogWriterOptions {
  /** A path (opened asynchronously, 'ready' follows) or a file descriptor. */
  dest?: string | number
  /** sonic-boom's name for `dest`. */
  fd?: string | number
  /** Append (default) or truncate a file opened by path. */
  append?: boolean
  /** Create the file's parent directories. */
  mkdir?: boolean
  /** Mode of a file created by the open (before the umask); default 0o666. */
  mode?: number
  /** What a resolved flush() guarantees: written ('none'), fdatasync'ed ('data') or fsync'ed ('full'). */
  durability?: Durability
  /** sonic-boom's option: `true` is durability 'full' (sonic-boom fsyncs after each write). */
  fsync?: boolean
  /** write() returns false once this many bytes are buffered or in flight; default sonic-boom's, max(minLength, 16387). */
  maxBufferedBytes?: number
  /** At most one batch every this many ms; default: as soon as the event loop is free. */
  flushInterval?: number
  /** sonic-boom: bytes to accumulate before a batch starts (flush(), end() and exit write the rest). */
  minLength?: number
  /** sonic-boom: a write that would take the buffered bytes past this is dropped ('drop' event); 0 = no limit. */
  maxLength?: number
  /** sonic-boom: flush whatever is pending (below minLength too) every this many ms. */
  periodicFlush?: number
  /**
   * sonic-boom: whether to try a write again that found the descriptor
   * full or busy (EAGAIN, EBUSY), given the error, the bytes of that write
   * and the bytes pending after them; default: always.
   */
  retryEAGAIN?: (error: NodeJS.ErrnoException, writing: number, remaining: number) => boolean
  /**
   * sonic-boom's: how it keeps what write() takes, 'utf8' (default) or
   * 'buffer'. LogWriter keeps either as it comes (strings gathered, Buffers
   * as views, never copied), so both are the same here; anything else is
   * refused, as sonic-boom refuses it.
   */
  contentMode?: 'utf8' | 'buffer'
  /** sonic-boom's largest write (16 KiB by default); minLength must be below it. Not yet applied to the writes. */
  maxWrite?: number
  /** sonic-boom: give up (an 'error', or flushSync throws) after this many retries in a row; 0: never. */
  maxWriteRetries?: number
  /**
   * sonic-boom's synchronous mode: each write() (from minLength on) is
   * written at once with fs.writeSync, a path is opened synchronously. Any
   * truthy value, as sonic-boom takes it.
   */
  sync?: unknown
}

/** The call that makes a write durable, if the durability asks for one. */
export type SyncCall = 'fsync' | 'fdatasync' | undefined

export interface LogWriterConfig {
  /** The file to open, or undefined when given a descriptor. */
  readonly path: string | undefined
  /** The descriptor given, or -1 when given a path. */
  readonly fd: number
  readonly append: boolean
  readonly mkdir: boolean
  /** open(2) flags for `path`: O_APPEND or O_TRUNC as `append` says. */
  readonly flags: number
  readonly mode: number
  readonly sync: SyncCall
  readonly maxBufferedBytes: number
  readonly flushInterval: number
  readonly minLength: number
  readonly maxLength: number
  /** 0: none. */
  readonly periodicFlush: number
  /** sonic-boom's sync mode: writes with fs.writeSync as they come. */
  readonly synchronous: boolean
  readonly retryEAGAIN: (error: NodeJS.ErrnoException, writing: number, remaining: number) => boolean
  /** 0: no limit. */
  readonly maxWriteRetries: number
  readonly maxWrite: number
}

/** Validates `options` (in the order the constructor always has, so the same option is reported first). */
export function parseLogWriterOptions (options: unknown): LogWriterConfig {
  const opts = validateObject(options, 'options')
  const { dest, fd } = opts
  if (dest !== undefined && fd !== undefined && dest !== fd) {
    throw invalidArgValue('options.fd', fd, 'and options.dest name different destinations')
  }
  const where = dest ?? fd
  const name = dest === undefined ? 'options.fd' : 'options.dest'
  let path: string | undefined
  let descriptor = -1
  if (typeof where === 'string') {
    path = validatePath(where, name)
  } else if (typeof where === 'number') {
    descriptor = validateFd(where, name)
  } else {
    throw invalidArgType('options.dest', 'of type string or number', where)
  }
  const append = validateBoolean(opts.append, 'options.append') ?? true
  const mkdir = validateBoolean(opts.mkdir, 'options.mkdir') ?? false
  // `|| 0`: -0 is an integer here, but fs.openSync (sync mode) hands it
  // to Node's binding, which aborts the process on a mode that is not an Int32.
  const mode = opts.mode === undefined ? 0o666 : validateInteger(opts.mode, 'options.mode', 0, 0o7777) || 0
  const fsync = validateBoolean(opts.fsync, 'options.fsync')
  let durability = opts.durability
  if (durability !== undefined && durability !== 'none' && durability !== 'data' && durability !== 'full') {
    throw invalidArgValue('options.durability', durability, "must be one of 'none', 'data', 'full'")
  }
  if (fsync === true) {
    if (durability !== undefined && durability !== 'full') {
      throw invalidArgValue('options.fsync', true, `means durability 'full', not '${durability}'`)
    }
    durability = 'full'
  }
  const retryEAGAIN = opts.retryEAGAIN as LogWriterConfig['retryEAGAIN'] | undefined
  if (retryEAGAIN !== undefined && typeof retryEAGAIN !== 'function') {
    throw invalidArgType('options.retryEAGAIN', 'of type function', retryEAGAIN)
  }
  if (opts.contentMode !== undefined && opts.contentMode !== 'utf8' && opts.contentMode !== 'buffer') {
    throw invalidArgValue('options.contentMode', opts.contentMode, "must be 'utf8' or 'buffer'")
  }
  const size = (key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number =>
    opts[key] === undefined ? fallback : validateInteger(opts[key], `options.${key}`, min, max)
  const minLength = size('minLength', 0, 0)
  // As sonic-boom, which refuses a minLength it could never write in one go.
  const maxWrite = size('maxWrite', 16 * 1024, 1)
  if (minLength >= maxWrite) throw outOfRange('options.minLength', `< ${maxWrite} (options.maxWrite)`, minLength)
  return Object.freeze({
    path,
    fd: descriptor,
    append,
    mkdir,
    flags: O_CREAT | O_WRONLY | (append ? O_APPEND : O_TRUNC),
    mode,
    sync: durability === 'data' ? 'fdatasync' : durability === 'full' ? 'fsync' : undefined,
    // sonic-boom's high-water mark.
    maxBufferedBytes: size('maxBufferedBytes', Math.max(minLength, 16387), 1),
    // Timer delays: Node's timers take at most 2^31 - 1 ms (and fire after
    // 1 ms, with a warning, beyond that).
    flushInterval: size('flushInterval', 0, 0, TIMEOUT_MAX),
    minLength,
    maxLength: size('maxLength', 0, 0),
    periodicFlush: size('periodicFlush', 0, 0, TIMEOUT_MAX),
    // sonic-boom: `this.sync = sync || false`.
    synchronous: Boolean(opts.sync),
    retryEAGAIN: retryEAGAIN ?? (() => true),
    maxWriteRetries: size('maxWriteRetries', 0, 0),
    maxWrite
  })
}
