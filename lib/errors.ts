// Errors shaped like Node's own: argument errors carry Node's ERR_* codes and
// messages; OS errors look exactly like the ones `fs` throws.
import { constants as osConstants } from 'node:os'
import { getSystemErrorMap, inspect } from 'node:util'

export interface SystemError extends Error {
  errno: number
  code: string
  syscall: string
  path?: string
  dest?: string
}

const systemErrors = getSystemErrorMap()
// errnos libuv has no name for, but POSIX AIO and fs calls can report.
for (const [code, description] of [
  ['EINPROGRESS', 'operation now in progress'], ['EDQUOT', 'disk quota exceeded'],
  ['ESTALE', 'stale file handle'], ['EDEADLK', 'resource deadlock avoided'],
  ['ENOLCK', 'no locks available']
] as const) {
  const errno = osConstants.errno[code]
  if (errno !== undefined && !systemErrors.has(-errno)) systemErrors.set(-errno, [code, description])
}

/** An `fs`-style error for a negative errno (as the engines report them). */
export function systemError (errno: number, syscall: string, path?: string, dest?: string): SystemError {
  const [code, description] = systemErrors.get(errno) ?? ['UNKNOWN', 'unknown error']
  let message = `${code}: ${description}, ${syscall}`
  if (path !== undefined) message += ` '${path}'`
  if (dest !== undefined) message += ` -> '${dest}'`
  const error = new Error(message) as SystemError
  error.errno = errno
  error.code = code
  error.syscall = syscall
  if (path !== undefined) error.path = path
  if (dest !== undefined) error.dest = dest
  return error
}

/** Several operations failed: an AggregateError with code EIO, like POSIX. */
export interface BatchError<R> extends AggregateError {
  errno: number
  code: 'EIO'
  syscall: string
  /** Every operation's outcome: bytes (or a Buffer) where it worked, its Error where not. */
  results: R
}

export function batchError<R> (errors: Error[], results: R, syscall: string, total: number,
  noun = 'operations'): BatchError<R> {
  const errno = -osConstants.errno.EIO
  const [, description] = systemErrors.get(errno)!
  const error = new AggregateError(errors,
    `EIO: ${description}, ${syscall} (${errors.length} of ${total} ${noun} failed)`) as BatchError<R>
  error.errno = errno
  error.code = 'EIO'
  error.syscall = syscall
  error.results = results
  return error
}

function withCode<E extends Error> (error: E, code: string): E & { code: string } {
  return Object.assign(error, { code })
}

// inspect() itself throws on some values (a detached DataView).
function show (value: unknown): string {
  try {
    return inspect(value, { colors: false, depth: 0 })
  } catch {
    return Object.prototype.toString.call(value)
  }
}

function received (value: unknown): string {
  if (value === null || value === undefined) return ` Received ${String(value)}`
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name
    return name ? ` Received an instance of ${name}` : ` Received ${show(value)}`
  }
  let shown = show(value)
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`
  return ` Received type ${typeof value} (${shown})`
}

// "The "fd" argument" or, for a dotted name, "The "options.flag" property".
function subject (name: string): string {
  return name.includes('.') || name.includes('[') ? `"${name}" property` : `"${name}" argument`
}

export function invalidArgType (name: string, expected: string, value: unknown): TypeError & { code: string } {
  return withCode(new TypeError(`The ${subject(name)} must be ${expected}.${received(value)}`),
    'ERR_INVALID_ARG_TYPE')
}

export function invalidArgValue (name: string, value: unknown, reason = 'is invalid'): TypeError & { code: string } {
  const kind = name.includes('.') || name.includes('[') ? 'property' : 'argument'
  return withCode(new TypeError(`The ${kind} '${name}' ${reason}. Received ${show(value)}`),
    'ERR_INVALID_ARG_VALUE')
}

// 4294967297 as Node's range errors show it: 4_294_967_297.
function withSeparators (digits: string): string {
  const start = digits.startsWith('-') ? 1 : 0
  let i = digits.length
  let grouped = ''
  for (; i >= start + 4; i -= 3) grouped = `_${digits.slice(i - 3, i)}${grouped}`
  return digits.slice(0, i) + grouped
}

export function outOfRange (name: string, range: string, value: unknown): RangeError & { code: string } {
  let shown: string
  if (Number.isInteger(value) && Math.abs(value as number) > 2 ** 32) shown = withSeparators(String(value))
  else if (typeof value === 'bigint') shown = `${value > 2n ** 32n || value < -(2n ** 32n) ? withSeparators(String(value)) : value}n`
  else shown = show(value)
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`),
    'ERR_OUT_OF_RANGE')
}

/** fs.readFile's error for a file no Buffer can hold (`limit` in bytes). */
export function fileTooLarge (size: number, limit: number, path: string): RangeError & { code: string, path: string } {
  return Object.assign(withCode(new RangeError(`File size (${size}) is greater than ${limit} bytes`), 'ERR_FS_FILE_TOO_LARGE'), { path })
}

/** An Error with a code and nothing else (as Node's own for a stream destroyed, …). */
export function codeError (message: string, code: string): Error & { code: string } {
  return withCode(new Error(message), code)
}

export function invalidState (message: string): Error & { code: string } {
  return withCode(new Error(`Invalid state: ${message}`), 'ERR_INVALID_STATE')
}

// Validators: each throws synchronously, before anything is submitted.

export function validateInteger (value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value)
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value)
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value)
  return value
}

export function validateCallback (cb: unknown): ((error?: Error | null) => void) | undefined {
  if (cb !== undefined && typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb)
  return cb as ((error?: Error | null) => void) | undefined
}

export function validateBoolean (value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value)
  return value
}

export const MAX_FD = 2 ** 31 - 1

export function validateFd (value: unknown, name = 'fd'): number {
  return validateInteger(value, name, 0, MAX_FD)
}

const VIEW = 'an instance of Buffer, TypedArray, or DataView'

/**
 * A view over fixed-length memory. A resizable ArrayBuffer (or growable
 * SharedArrayBuffer) could change length while an op holds it in flight,
 * so its views are refused.
 */
export function validateView (value: unknown, name: string, expected = VIEW): ArrayBufferView {
  if (!ArrayBuffer.isView(value)) throw invalidArgType(name, expected, value)
  const memory = value.buffer as { resizable?: boolean, growable?: boolean }
  if (memory.resizable === true || memory.growable === true) {
    throw withCode(new TypeError(`The ${subject(name)} must be ${expected} of fixed length: ` +
      `a view of a ${memory.resizable === true ? 'resizable ArrayBuffer' : 'growable SharedArrayBuffer'} ` +
      'could change length while the operation is in flight'), 'ERR_INVALID_ARG_TYPE')
  }
  return value
}

export function validateObject (value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value)
  }
  return value as Record<string, unknown>
}

export function validatePath (value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value)
  if (value.includes('\u0000')) {
    throw invalidArgValue(name, value, 'must be a string without null bytes')
  }
  return value
}
