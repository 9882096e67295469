// 'posix-aio/promises': the shape of node:fs/promises, every export with its
// signature and behaviour. Through the engine: open, readFile, writeFile,
// appendFile and truncate (as fs.promises' own: open, the handle's calls,
// close), and the one-op functions of paths.ts; every other export is
// Node's own function.
import { readFile as fsReadFile, writeFile as fsWriteFile } from 'node:fs/promises'
import { AioFileHandle, open } from './file'
import { getOptions } from './fs_args'
import { checkAborted } from './transfer'
import { writeArgs, writeHandle } from './whole_file'

export {
  chown, constants, cp, lchmod, lchown, lutimes, mkdtemp, opendir, readdir, readlink, realpath, rm, rmdir,
  statfs, watch
} from 'node:fs/promises'
export { access, chmod, copyFile, link, lstat, mkdir, rename, stat, symlink, unlink, utimes } from './paths'
export { open }

type Path = string | Buffer | URL

// Node's FileHandle: fs's own functions take it (and its calls are fs's).
function isNodeHandle (value: unknown): boolean {
  return value !== null && typeof value === 'object' && !(value instanceof AioFileHandle) &&
    (value as { constructor?: { name?: string } }).constructor?.name === 'FileHandle'
}

// fs's aggregateTwoErrors: an op that failed and a close that failed too.
// (No test can make a close fail on cue, after an op that failed.)
/* c8 ignore start */
function bothFailed (closeError: unknown, opError: unknown): unknown {
  if (closeError === opError) return opError
  const errors = (opError as { errors?: unknown[] }).errors
  if (Array.isArray(errors)) {
    errors.push(closeError)
    return opError
  }
  return Object.assign(new AggregateError([opError, closeError], (opError as Error).message),
    { code: (opError as { code?: unknown }).code })
}
/* c8 ignore stop */

// fs's handleFdClose: the handle is closed whatever the op did.
async function closing<T> (op: Promise<T>, handle: AioFileHandle): Promise<T> {
  let result: T
  try {
    result = await op
  } catch (opError) {
    await handle.close().catch((closeError: unknown) => { throw bothFailed(closeError, opError) })
    throw opError
  }
  await handle.close()
  return result
}

/** fs.promises.readFile: a path, or a handle (ours or fs's). */
export async function readFile (path: Path | AioFileHandle, options?: unknown): Promise<Buffer | string> {
  const opts = getOptions(options, { flag: 'r' })
  if (path instanceof AioFileHandle) return path.readFile(opts as never)
  if (isNodeHandle(path)) return fsReadFile(path as never, opts as never)
  checkAborted(opts.signal as AbortSignal | undefined)
  const handle = await open(path as Path, (opts.flag as string | undefined) || 'r', 0o666)
  return closing(handle.readFile(opts as never), handle)
}

/** fs.promises.writeFile: data as fs takes it, to a path or a handle (ours or fs's). */
export async function writeFile (path: Path | AioFileHandle, data: unknown, options?: unknown): Promise<void> {
  const { bytes, encoding, flag, mode, flush, signal } = writeArgs(data, options)
  if (path instanceof AioFileHandle) return writeHandle(path, bytes, signal, encoding)
  if (isNodeHandle(path)) return fsWriteFile(path as never, data as never, options as never)
  checkAborted(signal)
  const handle = await open(path as Path, flag, mode as number)
  let written = writeHandle(handle, bytes, signal, encoding)
  if (flush) written = written.then(() => handle.sync())
  return closing(written, handle)
}

/** fs.promises.appendFile: writeFile with the flag 'a' by default. */
export async function appendFile (path: Path | AioFileHandle, data: unknown, options?: unknown): Promise<void> {
  const opts = { ...getOptions(options, { encoding: 'utf8', mode: 0o666, flag: 'a' }) }
  opts.flag = (opts.flag as string | undefined) || 'a'
  return writeFile(path, data, opts)
}

/** fs.promises.truncate: opened 'r+', truncated (a negative length is 0), closed. */
export async function truncate (path: Path, len: number = 0): Promise<void> {
  const handle = await open(path, 'r+')
  return closing(handle.truncate(len), handle)
}
