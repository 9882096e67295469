// A handle's readFile, writeFile and appendFile, as fs.promises does them
// (lib/internal/fs/promises.js readFileHandle, writeFileHandle): from and
// at the handle's position, with fs's options, checks and errors. A regular
// file is read in one op of its size (fs reads 512 KiB at a time); data is
// written in one write, finished across short writes.
import { StringDecoder } from 'node:string_decoder'
import { invalidArgType, validateBoolean } from './errors'
import { getOptions, validateSignal } from './fs_args'
import { checkAborted, opResult } from './transfer'

// fs.promises' own limits: what one read may return, and the chunk for a
// file of unknown size.
const IO_MAX_LENGTH = 2 ** 31 - 1
const UNKNOWN_SIZE_CHUNK = 64 * 1024

/** What readFile and writeFile need of a handle. */
export interface WholeFileTarget {
  readonly fd: number
  read: (buffer: Uint8Array, options: { offset: number, length: number, position: null }) => Promise<{ bytesRead: number }>
  write: (buffer: Uint8Array, options: { position: null, signal?: AbortSignal }) => Promise<{ bytesWritten: number }>
}

function tooLarge (size: number): RangeError {
  return Object.assign(new RangeError(`File size (${size}) is greater than 2 GiB`), { code: 'ERR_FS_FILE_TOO_LARGE' })
}

export async function readHandle (target: WholeFileTarget, options: unknown): Promise<Buffer | string> {
  const opts = getOptions(options, { flag: 'r' })
  const signal = opts.signal as AbortSignal | undefined
  const encoding = opts.encoding as BufferEncoding | undefined | null
  // As fs: made first, so 'buffer' fails here (ERR_UNKNOWN_ENCODING).
  const decoder = encoding !== undefined && encoding !== null && (encoding as string) !== '' ? new StringDecoder(encoding) : undefined
  checkAborted(signal)
  const fd = target.fd
  // A regular file's size, else 0 (as fs: read until the end).
  const size = await opResult('fstat', (batch) => batch.add('fstatSize', fd))
  checkAborted(signal)
  if (size > IO_MAX_LENGTH) throw tooLarge(size)
  const bytes = size > 0 ? await readSized(target, size, signal) : await readUnsized(target, signal)
  return decoder === undefined ? bytes : decoder.end(bytes)
}

// Up to `size` bytes (fewer if the file shrank meanwhile), like fs, which
// stops at the size fstat gave.
async function readSized (target: WholeFileTarget, size: number, signal: AbortSignal | undefined): Promise<Buffer> {
  const buffer = Buffer.allocUnsafeSlow(size)
  let total = 0
  while (total < size) {
    const { bytesRead } = await target.read(buffer, { offset: total, length: size - total, position: null })
    // The file shrank since fstat: a race no test can make happen on cue.
    /* c8 ignore next */
    if (bytesRead === 0) break
    total += bytesRead
    if (total < size) checkAborted(signal)
  }
  return total === size ? buffer : buffer.subarray(0, total)
}

// A pipe, a character device, /proc: read until nothing comes.
async function readUnsized (target: WholeFileTarget, signal: AbortSignal | undefined): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for (;;) {
    const chunk = Buffer.allocUnsafeSlow(UNKNOWN_SIZE_CHUNK)
    const { bytesRead } = await target.read(chunk, { offset: 0, length: chunk.length, position: null })
    if (bytesRead === 0) break
    chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead))
    total += bytesRead
    checkAborted(signal)
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total)
}

function isIterable (value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' &&
    (typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function' ||
      typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
}

type WriteData = Uint8Array | Iterable<unknown> | AsyncIterable<unknown>

/** fs.promises.writeFile's arguments, checked as it checks them, for a path or a handle alike. */
export function writeArgs (data: unknown, options: unknown): {
  bytes: WriteData, encoding: BufferEncoding, flag: string, mode: unknown, flush: boolean, signal: AbortSignal | undefined
} {
  const opts = getOptions(options, { encoding: 'utf8', mode: 0o666, flag: 'w', flush: false })
  const flush = validateBoolean(opts.flush ?? false, 'options.flush')!
  // As fs: any falsy encoding is utf8, and any falsy flag 'w'.
  const encoding = ((opts.encoding as string | undefined) || 'utf8') as BufferEncoding
  const bytes = writeData(data, encoding)
  const signal = validateSignal(opts.signal, 'options.signal')
  return { bytes, encoding, flag: (opts.flag as string | undefined) || 'w', mode: opts.mode, flush, signal }
}

/** writeFile's and appendFile's data, checked as fs checks it: bytes, or an iterable of chunks. */
function writeData (data: unknown, encoding: BufferEncoding): WriteData {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (isIterable(data)) return data
  if (typeof data !== 'string') {
    throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data)
  }
  return Buffer.from(data, encoding)
}

export async function writeHandle (target: WholeFileTarget, data: WriteData,
  signal: AbortSignal | undefined, encoding: BufferEncoding): Promise<void> {
  checkAborted(signal)
  if (!(data instanceof Uint8Array)) {
    for await (const chunk of data) {
      checkAborted(signal)
      const bytes = ArrayBuffer.isView(chunk)
        ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.from(chunk as string, encoding)
      await writeAll(target, bytes, signal)
    }
    return
  }
  await writeAll(target, data, signal)
}

async function writeAll (target: WholeFileTarget, bytes: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
  if (bytes.byteLength === 0) return
  // The handle's write finishes short writes; a signal cancels it.
  await target.write(bytes, { position: null, signal })
  checkAborted(signal)
}
