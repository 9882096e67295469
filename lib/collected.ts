// Handles nobody closed: closed when they are collected, as fs closes a
// collected FileHandle, with its warnings.
import { opResult } from './transfer'

// fs's warnings: the descriptor, each time; the deprecation, once.
let deprecationWarned = false

function closeCollected (fd: number): void {
  opResult('close', (batch) => batch.add('close', fd)).then(() => {
    process.emitWarning(`Closing file descriptor ${fd} on garbage collection`)
    if (deprecationWarned) return
    deprecationWarned = true
    process.emitWarning('Closing a FileHandle object on garbage collection is deprecated. ' +
      'Please close FileHandle objects explicitly using FileHandle.prototype.close(). ' +
      'In the future, an error will be thrown if a file descriptor is closed during garbage collection.',
    'DeprecationWarning', 'DEP0137')
  }, (error: Error) => {
    // As fs: a failed close on collection is an uncaught exception.
    setImmediate(() => { throw Object.assign(error, { message: `${error.message} (closing file descriptor ${fd} on garbage collection)` }) })
  })
}

/** Each live handle, registered with its descriptor (the handle is the unregister token). */
export const collected = new FinalizationRegistry<number>(closeCollected)
