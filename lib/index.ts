// posix-aio: real asynchronous file IO for Node.js.
export { AIO } from './aio'
export type { AioStats, LioWait, LioNoWait } from './aio'
export { ControlBlock } from './control_block'
export type { ControlBlockOptions } from './control_block'
export { open, AioFileHandle, alignedBuffer } from './file'
export type {
  OpenOptions, ReadOptions, ReadParams, WriteOptions, ReadResult, WriteResult, ReadvResult, WritevResult
} from './file'
export type { WriteFilesOptions, ReadRequest } from './many_files'
export type { SystemError, BatchError } from './errors'
export type { Backend } from './engine'
export { LogWriter } from './log'
export type { LogWriterOptions, Durability } from './log'
