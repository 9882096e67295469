// The functions of fs.promises on paths that the engine runs, each one op:
// access, stat, lstat, unlink, rename, mkdir, chmod, utimes, link, symlink
// and copyFile. Arguments are checked and
// errors shaped as fs.promises does; what the engine has no op for
// (BigInt stats, a recursive mkdir) is fs.promises' own call.
import { constants as fsConstants, type BigIntStats, type Stats } from 'node:fs'
import { lstat as fsLstat, mkdir as fsMkdir, stat as fsStat } from 'node:fs/promises'
import type { Batch } from './engine'
import { validateBoolean } from './errors'
import { parseMode, shownPath, toUnixTimestamp, validatePathArg } from './fs_args'
import { toStats } from './stats'
import { opResult } from './transfer'

const { F_OK, R_OK, W_OK, X_OK, COPYFILE_EXCL, COPYFILE_FICLONE, COPYFILE_FICLONE_FORCE } = fsConstants
const ACCESS_MAX = F_OK | R_OK | W_OK | X_OK
const COPY_MAX = COPYFILE_EXCL | COPYFILE_FICLONE | COPYFILE_FICLONE_FORCE

type Path = string | Buffer | URL

// One op on one path (and `to`, for the two-path calls): fs's error names both.
function pathOp (syscall: string, path: string | Uint8Array, describe: (batch: Batch) => void,
  to?: string | Uint8Array): Promise<void> {
  return opResult(syscall, describe, shownPath(path), to === undefined ? undefined : shownPath(to)).then(() => {})
}

// The mode of access() and copyFile(), checked as fs's binding checks it.
function modeBits (mode: unknown, max: number): number {
  if (mode === undefined || mode === null) return 0
  if (typeof mode !== 'number') {
    throw Object.assign(new TypeError('mode must be int32 or null/undefined'), { code: 'ERR_INVALID_ARG_TYPE' })
  }
  const bits = Math.trunc(mode)
  if (!(bits >= 0 && bits <= max)) {
    throw Object.assign(new RangeError(`mode is out of range: >= 0 && <= ${max}`), { code: 'ERR_OUT_OF_RANGE' })
  }
  return bits
}

/** As fs.promises.access (F_OK is 0). Node 20 aborts on a mode that is not a number; this rejects. */
export async function access (path: Path, mode: number = F_OK): Promise<void> {
  const name = validatePathArg(path)
  const bits = modeBits(mode, ACCESS_MAX)
  return pathOp('access', name, (batch) => batch.add('access', name, bits))
}

/** As fs.promises.copyFile, as libuv copies: `mode` of fs.constants.COPYFILE_*. */
export async function copyFile (src: Path, dest: Path, mode?: number): Promise<void> {
  const from = validatePathArg(src, 'src')
  const to = validatePathArg(dest, 'dest')
  const bits = modeBits(mode, COPY_MAX)
  return pathOp('copyfile', from, (batch) => batch.add('copyFile', from, to, bits), to)
}

async function statOf (kind: 'stat' | 'lstat', path: Path, options: { bigint?: boolean }): Promise<Stats | BigIntStats> {
  const name = validatePathArg(path)
  // Nanoseconds as BigInts: fs's own call (the engine's fields are doubles).
  if (options.bigint === true) return (kind === 'stat' ? fsStat : fsLstat)(path, { bigint: true })
  const fields = new Float64Array(18)
  await pathOp(kind, name, (batch) => batch.add(kind, name, fields))
  return toStats(fields)
}

/** fs.Stats of `path`, as fs.promises.stat; `{ bigint: true }` is fs's own call. */
export function stat (path: Path, options?: { bigint?: false }): Promise<Stats>
export function stat (path: Path, options: { bigint: true }): Promise<BigIntStats>
export async function stat (path: Path, options: { bigint?: boolean } = { bigint: false }): Promise<Stats | BigIntStats> {
  return statOf('stat', path, options)
}

/** fs.Stats of a link itself, as fs.promises.lstat. */
export function lstat (path: Path, options?: { bigint?: false }): Promise<Stats>
export function lstat (path: Path, options: { bigint: true }): Promise<BigIntStats>
export async function lstat (path: Path, options: { bigint?: boolean } = { bigint: false }): Promise<Stats | BigIntStats> {
  return statOf('lstat', path, options)
}

export async function unlink (path: Path): Promise<void> {
  const name = validatePathArg(path)
  return pathOp('unlink', name, (batch) => batch.add('unlink', name))
}

export async function rename (oldPath: Path, newPath: Path): Promise<void> {
  const from = validatePathArg(oldPath, 'oldPath')
  const to = validatePathArg(newPath, 'newPath')
  return pathOp('rename', from, (batch) => batch.add('rename', from, to), to)
}

/** As fs.promises.mkdir; `{ recursive: true }` is fs's own call (it resolves the first directory made). */
export async function mkdir (path: Path, options?: number | string | { recursive?: boolean, mode?: number | string }): Promise<string | undefined> {
  const opts = typeof options === 'number' || typeof options === 'string' ? { mode: options } : options ?? {}
  const { recursive = false, mode = 0o777 } = opts
  const name = validatePathArg(path)
  validateBoolean(recursive, 'options.recursive')
  const bits = parseMode(mode, 'mode', 0o777)
  if (recursive) return fsMkdir(path, { recursive, mode: bits })
  await pathOp('mkdir', name, (batch) => batch.add('mkdir', name, bits))
  return undefined
}

export async function chmod (path: Path, mode: number | string): Promise<void> {
  const name = validatePathArg(path)
  const bits = parseMode(mode, 'mode', null)
  return pathOp('chmod', name, (batch) => batch.add('chmod', name, bits))
}

export async function utimes (path: Path, atime: number | string | Date, mtime: number | string | Date): Promise<void> {
  const name = validatePathArg(path)
  const at = toUnixTimestamp(atime, 'time')
  const mt = toUnixTimestamp(mtime, 'time')
  return pathOp('utime', name, (batch) => batch.add('utimes', name, at, mt))
}

export async function link (existingPath: Path, newPath: Path): Promise<void> {
  const from = validatePathArg(existingPath, 'existingPath')
  const to = validatePathArg(newPath, 'newPath')
  return pathOp('link', from, (batch) => batch.add('link', from, to), to)
}

/** A link at `path` to `target`; `type` matters only on Windows, as in fs. */
export async function symlink (target: Path, path: Path, _type?: string | null): Promise<void> {
  const to = validatePathArg(target, 'target')
  const at = validatePathArg(path)
  return pathOp('symlink', to, (batch) => batch.add('symlink', to, at), at)
}
