// AIO.write / AIO.read of many files: every phase (open, fstat, transfer,
// sync, close) of every file is one batch, so N files cost a handful of
// submissions rather than N round trips through the thread pool.
import { constants as fsConstants } from 'node:fs'
import { constants as bufferConstants } from 'node:buffer'
import { constants as osConstants } from 'node:os'
import { toBytes } from './bytes'
import { Batch, engine } from './engine'
import {
  batchError, fileTooLarge, invalidArgValue, systemError, validateInteger,
  validateObject, validatePath, validateView
} from './errors'

export interface WriteFilesOptions {
  /** 'w' (default) truncates, 'a' appends. */
  flag?: 'w' | 'a'
  /** Mode for files created; default 0o666 (before the umask). */
  mode?: number
  /** After writing: nothing (default), fdatasync ('data') or fsync ('full'). */
  sync?: false | 'data' | 'full'
}

export interface ReadRequest {
  /** File offset to read from; default 0. */
  offset?: number
  /** Bytes to read; default: to the end of the file. */
  length?: number
}

// Files handled per round: bounds the descriptors open at once.
const ROUND = 1024
const READ_CHUNK = 64 * 1024
const EIO = -osConstants.errno.EIO
const EOVERFLOW = -osConstants.errno.EOVERFLOW

interface FileJob {
  path: string
  fd: number
  /** fs-shaped: a SystemError, or ERR_FS_FILE_TOO_LARGE. */
  error?: Error & { path?: string }
  done: number // bytes moved so far
}

interface WriteJob extends FileJob { data: Uint8Array }
interface ReadJob extends FileJob { offset: number, length: number | undefined, buffer: Buffer, sized: boolean }

function fail (job: FileJob, result: number, syscall: string): void {
  job.error ??= systemError(result, syscall, job.path)
}

// One batch of one op per job: a failure is recorded on its job; the raw
// results (an fd, a size, 0, or -errno) are returned.
async function phase (jobs: FileJob[], describe: (batch: Batch, job: FileJob) => void,
  syscall: string): Promise<Float64Array> {
  const batch = new Batch()
  for (const job of jobs) describe(batch, job)
  const results = await engine().submit(batch)
  jobs.forEach((job, i) => {
    if (results[i] < 0) fail(job, results[i], syscall)
  })
  return results
}

async function openAll (jobs: FileJob[], flags: number, mode: number): Promise<void> {
  const fds = await phase(jobs, (batch, job) => batch.add('open', job.path, flags, mode), 'open')
  jobs.forEach((job, i) => {
    if (fds[i] >= 0) job.fd = fds[i]
  })
}

async function closeAll (jobs: FileJob[]): Promise<void> {
  const open = jobs.filter((job) => job.fd >= 0)
  await phase(open, (batch, job) => batch.add('close', job.fd), 'close')
  for (const job of open) job.fd = -1
}

// A plain object that V8 keeps as a hash table from the start (deleting a
// property that is not the last one added makes it so). Keyed by the
// caller's own paths, a fast-mode record would walk the same hidden-class
// transitions as the caller's `files` object, each property with another
// type of value, and generalizing those cost more than the whole rest of
// settling a batch (~0.4 ms for 256 files); it slowed the caller's next
// object too.
function hashTableObject<T> (): Record<string, T> {
  const object: Record<string, T> = { first: undefined as T, second: undefined as T }
  delete object.first
  delete object.second
  return object
}

// Any string is a path, '__proto__' too: that one is defined as an own
// property, where assigning it would set the record's prototype.
function setResult<T> (results: Record<string, T>, path: string, value: T): void {
  if (path === '__proto__') {
    Object.defineProperty(results, path, { value, writable: true, enumerable: true, configurable: true })
  } else {
    results[path] = value
  }
}

// Resolves the record of results, or throws the one error / an AggregateError.
function settle<T> (jobs: FileJob[], value: (job: FileJob) => T, verb: string): Record<string, T> {
  const results = hashTableObject<T | Error>()
  const errors: Error[] = []
  for (const job of jobs) {
    if (job.error === undefined) {
      setResult(results, job.path, value(job))
    } else {
      setResult(results, job.path, job.error)
      errors.push(job.error)
    }
  }
  if (errors.length === 1) throw Object.assign(errors[0], { results })
  if (errors.length > 1) throw batchError(errors, results, verb, jobs.length, 'files')
  return results as Record<string, T>
}

async function inRounds<J extends FileJob> (jobs: J[], round: (jobs: J[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < jobs.length; i += ROUND) await round(jobs.slice(i, i + ROUND))
}

export function writeFiles (files: unknown, options: unknown = {}): Promise<Record<string, number>> {
  validateObject(files, 'files')
  const opts = validateObject(options, 'options')
  const flag = opts.flag ?? 'w'
  if (flag !== 'w' && flag !== 'a') throw invalidArgValue('options.flag', flag, "must be 'w' or 'a'")
  const mode = opts.mode === undefined ? 0o666 : validateInteger(opts.mode, 'options.mode', 0, 0o7777)
  const sync = opts.sync ?? false
  if (sync !== false && sync !== 'data' && sync !== 'full') {
    throw invalidArgValue('options.sync', sync, "must be false, 'data' or 'full'")
  }
  const jobs: WriteJob[] = Object.entries(files as Record<string, unknown>).map(([path, data]) => {
    validatePath(path, 'files')
    let bytes: Uint8Array
    if (typeof data === 'string') bytes = Buffer.from(data, 'utf8')
    else bytes = toBytes(validateView(data, `files['${path}']`, 'of type string or an instance of Buffer, TypedArray, or DataView'))
    return { path, fd: -1, done: 0, data: bytes }
  })
  const append = flag === 'a' ? fsConstants.O_APPEND : 0
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | (append || fsConstants.O_TRUNC)
  // With O_APPEND the kernel picks the offset: write at "the current position".
  const positioned = flag === 'w'
  engine()
  return (async () => {
    await inRounds(jobs, async (round) => {
      // Each file is one op; an engine that could not finish a file in one
      // go (io_uring stops a chain at a short write) gets the rest of it
      // written by another op, opened without truncating.
      let pending = await writeWhole(round, flags, mode, positioned, sync)
      while (pending.length > 0) {
        pending = await writeWhole(pending, fsConstants.O_WRONLY | append, mode, positioned, sync)
      }
    })
    return settle(jobs, (job) => job.done, 'write')
  })()
}

const WRITE_FILE_STEPS = ['open', 'write', 'sync', 'close']

// Each file's unwritten bytes as one op (open, write, sync, close): one
// batch. Returns the files still not written in full.
async function writeWhole (jobs: WriteJob[], flags: number, mode: number, positioned: boolean,
  sync: false | 'data' | 'full'): Promise<WriteJob[]> {
  const how = sync === false ? 0 : sync === 'data' ? 1 : 2
  const batch = new Batch()
  for (const job of jobs) {
    // A buffer detached since it was checked is a write of nothing (its
    // length is 0 now); subarray() would throw.
    const from = Math.min(job.done, job.data.byteLength)
    batch.add('writeFile', job.path, flags, mode, job.data, from, job.data.byteLength - from,
      positioned ? job.done : -1, how)
  }
  const results = await engine().submit(batch)
  return jobs.filter((job, i) => {
    const result = results[i]
    if (result < 0) {
      // -errno, less 65536 per step: see WriteFileFailure in native/op.h.
      const step = WRITE_FILE_STEPS[Math.floor(-result / 65536)]
      const syscall = step === 'sync' ? (sync === 'data' ? 'fdatasync' : 'fsync') : step
      fail(job, -(-result % 65536), syscall)
      return false
    }
    // No file we can open takes zero bytes of a non-empty write (so no test
    // reaches this); if one ever does, fail rather than spin forever.
    /* c8 ignore next 4 */
    if (result === 0 && job.done < job.data.byteLength) {
      fail(job, EIO, 'write')
      return false
    }
    job.done += result
    return job.done < job.data.byteLength
  })
}

export function readFiles (files: unknown): Promise<Record<string, Buffer>> {
  let jobs: ReadJob[]
  const job = (path: string, offset: number, length: number | undefined): ReadJob =>
    ({ path, fd: -1, done: 0, offset, length, buffer: Buffer.alloc(0), sized: length !== undefined })
  if (Array.isArray(files)) {
    const paths = new Set(Array.from(files as unknown[], (path, i) => validatePath(path, `files[${i}]`)))
    jobs = [...paths].map((path) => job(path, 0, undefined))
  } else {
    jobs = Object.entries(validateObject(files, 'files')).map(([path, request]) => {
      validatePath(path, 'files')
      if (request === undefined || request === null) return job(path, 0, undefined)
      const r = validateObject(request, `files['${path}']`)
      const offset = r.offset === undefined
        ? 0
        : validateInteger(r.offset, `files['${path}'].offset`, 0, Number.MAX_SAFE_INTEGER)
      const length = r.length === undefined
        ? undefined
        : validateInteger(r.length, `files['${path}'].length`, 0, bufferConstants.MAX_LENGTH)
      return job(path, offset, length)
    })
  }
  engine()
  return (async () => {
    await inRounds(jobs, async (round) => {
      try {
        await openAll(round, fsConstants.O_RDONLY, 0)
        await sizeAll(round)
        await readAll(round)
      } finally {
        await closeAll(round)
      }
    })
    return settle(jobs, (j) => (j as ReadJob).buffer.subarray(0, j.done), 'read')
  })()
}

// Learns how much to read where the caller did not say: a regular file's
// size, or (size 0: pipes, /proc) read in chunks until end of file.
async function sizeAll (jobs: ReadJob[]): Promise<void> {
  const unsized = jobs.filter((job) => job.fd >= 0 && job.length === undefined)
  const sizes = await phase(unsized, (batch, job) => batch.add('fstatSize', job.fd), 'fstat')
  unsized.forEach((job, i) => {
    if (sizes[i] > 0) {
      job.length = Math.max(0, sizes[i] - job.offset)
      job.sized = true
      // More than a Buffer holds: that file fails, as with fs.readFile.
      if (job.length > bufferConstants.MAX_LENGTH) job.error ??= fileTooLarge(sizes[i], bufferConstants.MAX_LENGTH, job.path)
    }
  })
  for (const job of jobs) {
    if (job.fd >= 0 && job.error === undefined) job.buffer = Buffer.allocUnsafe(job.sized ? job.length! : READ_CHUNK)
  }
}

async function readAll (jobs: ReadJob[]): Promise<void> {
  let pending = jobs.filter((job) => job.fd >= 0 && job.error === undefined && job.buffer.length > 0)
  while (pending.length > 0) {
    const batch = new Batch()
    const reading: ReadJob[] = []
    for (const job of pending) {
      // Past 2^53 - 1 a position cannot be named (a pipe read on from a
      // huge offset): that file fails, as read(2) does past its maximum.
      const position = job.offset + job.done
      if (position > Number.MAX_SAFE_INTEGER) {
        fail(job, EOVERFLOW, 'read')
        continue
      }
      batch.add('read', job.fd, job.buffer, job.done, job.buffer.length - job.done, position)
      reading.push(job)
    }
    const results = await engine().submit(batch)
    pending = reading.filter((job, i) => {
      const result = results[i]
      if (result < 0) {
        fail(job, result, 'read')
        return false
      }
      if (result === 0) return false // end of file
      job.done += result
      if (job.done < job.buffer.length) return true
      if (job.sized) return false
      // Unknown length and the buffer is full: grow it and read on.
      const grown = Buffer.allocUnsafe(job.buffer.length * 2)
      job.buffer.copy(grown)
      job.buffer = grown
      return true
    })
  }
}
