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

export function validatePathArg (value: unknown): string | Uint8Array {
  const path = value instanceof URL ? fileURLToPath(value) : value
  if (typeof path !== 'string' && !(path instanceof Uint8Array)) {
    throw invalidArgType('path', 'of type string or an instance of Buffer or URL', value)
  }
  if (typeof path === 'string' ? path.includes('\u0000') : path.includes(0)) {
    throw invalidArgValue('path', path, 'must be a string, Uint8Array, or URL without null bytes')
  }
  return path
}

export function parseFlags (value: unknown): number {
  if (typeof value === 'number') return validateInteger(value, 'flags', -(2 ** 31), 2 ** 31 - 1)
  if (value === undefined || value === null) return O_RDONLY
  if (typeof value === 'string' && Object.hasOwn(FLAGS, value)) return FLAGS[value]
  throw invalidArgValue('flags', value)
}

export function parseMode (value: unknown): number {
  if (value === undefined || value === null) return 0o666
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value)) {
      throw invalidArgValue('mode', value, 'must be a 32-bit unsigned integer or an octal string')
    }
    return parseInt(value, 8)
  }
  return validateInteger(value, 'mode', 0, 2 ** 32 - 1)
}
