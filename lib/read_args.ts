// FileHandle.read's arguments, resolved as the running Node's
// lib/internal/fs/promises.js read() resolves them (node_rules.ts says
// where the versions differ).
import { constants as osConstants } from 'node:os'
import { invalidArgType, invalidArgValue, outOfRange, systemError, validateInteger, validateObject, validateView } from './errors'
import { positionOf } from './fs_args'
import { READ_RULES, type ReadRules } from './node_rules'

/** A read to make: `length` bytes at `start` of `view`, at `position` (null: the handle's). */
export interface ReadCall {
  buffer: unknown
  view: ArrayBufferView
  start: number
  length: number
  position: number | null
  signal: unknown
}

/** The read to make, or null when there is nothing to read (a length of 0): it resolves at once. */
export function resolveRead (bufferOrParams: unknown, offsetOrOptions: unknown, lengthArg: unknown, positionArg: unknown,
  rules: ReadRules = READ_RULES): ReadCall | { buffer: unknown, empty: true } {
  // The argument shapes fs.promises takes: (buffer, offset, length,
  // position), (buffer, options) and (params).
  let buffer = bufferOrParams
  let offset = offsetOrOptions
  let length = lengthArg
  let position = positionArg
  let signal: unknown
  // A length left out of an options object is the rest of the buffer.
  let fromObject = false
  if (!ArrayBuffer.isView(buffer)) {
    const params = bufferOrParams === undefined || bufferOrParams === null
      ? {}
      : validateObject(bufferOrParams, 'options')
    buffer = params.buffer === undefined ? Buffer.alloc(16384) : validateView(params.buffer, 'buffer')
    ;({ offset, length, position, signal } = params)
    fromObject = true
  }
  const view = validateView(buffer, 'buffer')
  if (offset !== null && typeof offset === 'object') {
    ({ offset, length, position, signal } = offset as Record<string, unknown>)
    fromObject = true
  }
  const start = offset === undefined || offset === null
    ? 0
    : validateInteger(offset, 'offset', 0, Number.MAX_SAFE_INTEGER)
  if (rules.coerceLength) {
    length = ((fromObject && length === undefined ? view.byteLength - start : length) as number) | 0
  } else {
    length ??= view.byteLength - start
  }
  let at = rules.positionFirst ? checkedPosition(position, length) : undefined
  if (length === 0) return { buffer, empty: true }
  if (view.byteLength === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written')
  // Where Node would abort on a length it never checks, throw instead.
  if (typeof length !== 'number') throw invalidArgType('length', 'of type number', length)
  if (!Number.isInteger(length)) throw outOfRange('length', 'an integer', length)
  if (length < 0) throw outOfRange('length', '>= 0', length)
  if (start + length > view.byteLength) throw outOfRange('length', `<= ${view.byteLength - start}`, length)
  at ??= rules.checkPosition ? checkedPosition(position, length) : positionOf(position)
  // A bigint past what a number names exactly cannot reach the engine:
  // EOVERFLOW, as read(2) gives past a file's maximum offset.
  if (typeof at === 'bigint') throw systemError(-osConstants.errno.EOVERFLOW, 'read')
  return { buffer, view, start, length, position: at, signal }
}

// Node 21's validatePosition: null and -1 are the handle's position; an
// integer from 0, or a bigint up to 2^63 - 1 - length (kept a bigint past
// 2^53 - 1).
function checkedPosition (position: unknown, length: unknown): number | bigint | null {
  if (position === undefined || position === null) return null
  if (typeof position === 'bigint') {
    const most = 2n ** 63n - 1n - BigInt(typeof length === 'number' && Number.isInteger(length) ? length : 0)
    if (!(position >= -1n && position <= most)) throw outOfRange('position', `>= -1 && <= ${most}`, position)
    if (position > BigInt(Number.MAX_SAFE_INTEGER)) return position
    return position === -1n ? null : Number(position)
  }
  if (typeof position !== 'number') throw invalidArgType('position', 'of type bigint or integer', position)
  const at = validateInteger(position, 'position', -1, Number.MAX_SAFE_INTEGER)
  return at === -1 ? null : at
}
