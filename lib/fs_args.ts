// fs's arguments: flags, modes, paths and positions, parsed the way
// lib/internal/fs/utils.js parses them.
import { constants as fsConstants } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { invalidArgType, invalidArgValue, validateInteger } from './errors'

const {
  O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_SYNC, O_TRUNC, O_WRONLY
} = fsConstants

// fs's string flags (lib/internal/fs/utils.js stringToFlags).
const FLAGS: Record<string, number> = {
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
  'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC
}

// fs's rule: anything but a safe integer >= 0 means "the current position".
export function positionOf (value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? value as number : null
}

export function validatePathArg (value: unknown, name = 'path'): string | Uint8Array {
  const path = value instanceof URL ? fileURLToPath(value) : value
  if (typeof path !== 'string' && !(path instanceof Uint8Array)) {
    throw invalidArgType(name, 'of type string or an instance of Buffer or URL', value)
  }
  if (typeof path === 'string' ? path.includes('\u0000') : path.includes(0)) {
    throw invalidArgValue(name, path, 'must be a string, Uint8Array, or URL without null bytes')
  }
  return path
}

/** A path as fs's messages show it. */
export function shownPath (path: string | Uint8Array): string {
  return typeof path === 'string' ? path : Buffer.from(path).toString()
}

export function parseFlags (value: unknown): number {
  if (typeof value === 'number') return validateInteger(value, 'flags', -(2 ** 31), 2 ** 31 - 1)
  if (value === undefined || value === null) return O_RDONLY
  if (typeof value === 'string' && Object.hasOwn(FLAGS, value)) return FLAGS[value]
  throw invalidArgValue('flags', value)
}

// fs's parseFileMode; with a null fallback, a missing mode is a type error.
export function parseMode (value: unknown, name = 'mode', fallback: number | null = 0o666): number {
  value ??= fallback ?? undefined
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value)) {
      throw invalidArgValue(name, value, 'must be a 32-bit unsigned integer or an octal string')
    }
    return parseInt(value, 8)
  }
  return validateInteger(value, name, 0, 2 ** 32 - 1)
}

/** fs's getOptions: a string is the encoding; the encoding and signal are checked. */
export function getOptions<T extends object> (options: unknown, defaults: T): T & Record<string, unknown> {
  if (options === undefined || options === null || typeof options === 'function') return defaults as T & Record<string, unknown>
  let opts: Record<string, unknown>
  if (typeof options === 'string') {
    opts = { ...defaults, encoding: options }
  } else if (typeof options === 'object') {
    opts = options as Record<string, unknown>
  } else {
    throw invalidArgType('options', 'one of type string or object', options)
  }
  if (opts.encoding !== 'buffer') assertEncoding(opts.encoding)
  if (opts.signal !== undefined) validateSignal(opts.signal, 'options.signal')
  return opts as T & Record<string, unknown>
}

export function assertEncoding (encoding: unknown): void {
  if (Boolean(encoding) && !Buffer.isEncoding(encoding as string)) {
    throw invalidArgValue('encoding', encoding, 'is invalid encoding')
  }
}

export function validateSignal (signal: unknown, name: string): AbortSignal | undefined {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType(name, 'an instance of AbortSignal', signal)
  }
  return signal as AbortSignal | undefined
}

/** fs's toUnixTimestamp: seconds since the epoch from a number, numeric string or Date. */
export function toUnixTimestamp (time: unknown, name: string): number {
  // fs's test, loose equality and all ('  12 ' is 12 s).
  if (typeof time === 'string' && +time == (time as unknown as number)) return +time // eslint-disable-line eqeqeq
  if (Number.isFinite(time)) return (time as number) < 0 ? Date.now() / 1000 : time as number
  if (time instanceof Date) return time.getTime() / 1000
  throw invalidArgType(name, 'an instance of Date or an Time in seconds', time)
}
