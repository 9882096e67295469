// Ported from Node.js v20.11.1, test/parallel/test-filehandle-readablestream.js
// (MIT, Node.js contributors): FileHandle.readableWebStream(). `open` is
// common.open. The file's blocks run concurrently, as in Node; each assert
// (and the mustNotCall) is a check of its own (see common.ts). Node's
// `check` (this file's text) is `checkText` here: common.check is the
// harness's.
import assert from 'node:assert'
import { readFileSync } from 'node:fs'
import * as common from './common'

const { open } = common

// Why a check fails on the project (see common.ts: CheckOptions.todo).
const notTransferable = {
  todo: "cannot pass: a handle is not transferable (Node's FileHandle is, through its internal transfer " +
    'mechanism, which is closed to other classes); postMessage refuses it with ERR_INVALID_TRANSFER_OBJECT, not DataCloneError'
}

const checkText = readFileSync(__filename, { encoding: 'utf8' })

common.run(() => Promise.all([
  // Make sure the ReadableStream works...
  (async () => {
    const dec = new TextDecoder()
    const file = await open(__filename)
    await common.check('for await (const chunk of file.readableWebStream()) data += dec.decode(chunk); assert.strictEqual(check, data)', async () => {
      let data = ''
      for await (const chunk of file.readableWebStream()) { data += dec.decode(chunk) }

      assert.strictEqual(checkText, data)
    })

    await common.check("readableWebStream() a second time: assert.throws(() => file.readableWebStream(), { code: 'ERR_INVALID_STATE' })", () =>
      assert.throws(() => file.readableWebStream(), {
        code: 'ERR_INVALID_STATE'
      }))

    await file.close()
  })(),

  // Make sure that acquiring a ReadableStream fails if the
  // FileHandle is already closed.
  (async () => {
    const file = await open(__filename)
    await file.close()

    await common.check("closed handle: assert.throws(() => file.readableWebStream(), { code: 'ERR_INVALID_STATE' })", () =>
      assert.throws(() => file.readableWebStream(), {
        code: 'ERR_INVALID_STATE'
      }))
  })(),

  // Make sure that acquiring a ReadableStream fails if the
  // FileHandle is already closing.
  (async () => {
    const file = await open(__filename)
    file.close()

    await common.check("closing handle: assert.throws(() => file.readableWebStream(), { code: 'ERR_INVALID_STATE' })", () =>
      assert.throws(() => file.readableWebStream(), {
        code: 'ERR_INVALID_STATE'
      }))
  })(),

  // Make sure the ReadableStream is closed when the underlying
  // FileHandle is closed.
  (async () => {
    const file = await open(__filename)
    await common.check('readable = file.readableWebStream(); reader = readable.getReader(); file.close(); await reader.closed', async () => {
      const readable = file.readableWebStream()
      const reader = readable.getReader()
      file.close()
      await reader.closed
    })
  })(),

  // Make sure the ReadableStream is closed when the underlying
  // FileHandle is closed.
  (async () => {
    const file = await open(__filename)
    await common.check('readable = file.readableWebStream(); file.close(); reader = readable.getReader(); await reader.closed', async () => {
      const readable = file.readableWebStream()
      file.close()
      const reader = readable.getReader()
      await reader.closed
    })
  })(),

  // Make sure that the FileHandle is properly marked "in use"
  // when a ReadableStream has been acquired for it.
  (async () => {
    const file = await open(__filename)
    const onmessage = common.mustNotCall(undefined, { title: 'handle in use by a ReadableStream: mc.port1.onmessage = common.mustNotCall()' })
    // All in one go, as in Node: the stream starts reading in a microtask,
    // and Node 20 aborts (FileHandle::ClosePromise: !reading_) on a close
    // while that read is in flight.
    await common.check("file.readableWebStream(); assert.throws(() => mc.port2.postMessage(file, [file]), { code: 25, name: 'DataCloneError' }); await file.close()", async () => {
      const mc = new MessageChannel()
      try {
        file.readableWebStream()
        ;(mc.port1 as unknown as { onmessage: unknown }).onmessage = onmessage
        assert.throws(() => mc.port2.postMessage(file, [file]), {
          code: 25,
          name: 'DataCloneError'
        })
      } finally {
        // In finally here (Node's test closes it after the assert): an
        // open port would hold the process when the assert fails.
        mc.port1.close()
        await file.close()
      }
    }, notTransferable)
  })(),

  // Make sure 'bytes' stream works
  (async () => {
    const file = await open(__filename)
    const dec = new TextDecoder()
    let data = ''
    const read = await common.settle(async () => {
      const readable = file.readableWebStream({ type: 'bytes' })
      const reader = readable.getReader({ mode: 'byob' })

      const sizes: number[] = []
      let result
      do {
        const buff = new ArrayBuffer(100)
        result = await reader.read(new DataView(buff))
        if (result.value !== undefined) {
          data += dec.decode(result.value)
          sizes.push(result.value.byteLength)
        }
      } while (!result.done)
      return sizes
    })

    await common.check("'bytes' stream, each chunk read into a DataView of 100 bytes: assert.ok(result.value.byteLength <= 100)", () => {
      for (const size of common.got(read)) assert.ok(size <= 100)
    })

    await common.check("'bytes' stream: assert.strictEqual(check, data)", () => {
      common.got(read)
      assert.strictEqual(checkText, data)
    })

    await common.check("'bytes' stream, readableWebStream() a second time: assert.throws(() => file.readableWebStream(), { code: 'ERR_INVALID_STATE' })", () =>
      assert.throws(() => file.readableWebStream(), {
        code: 'ERR_INVALID_STATE'
      }))

    await file.close()
  })(),

  // Make sure that acquiring a ReadableStream 'bytes' stream
  // fails if the FileHandle is already closed.
  (async () => {
    const file = await open(__filename)
    await file.close()

    await common.check("closed handle: assert.throws(() => file.readableWebStream({ type: 'bytes' }), { code: 'ERR_INVALID_STATE' })", () =>
      assert.throws(() => file.readableWebStream({ type: 'bytes' }), {
        code: 'ERR_INVALID_STATE'
      }))
  })(),

  // Make sure that acquiring a ReadableStream 'bytes' stream
  // fails if the FileHandle is already closing.
  (async () => {
    const file = await open(__filename)
    file.close()

    await common.check("closing handle: assert.throws(() => file.readableWebStream({ type: 'bytes' }), { code: 'ERR_INVALID_STATE' })", () =>
      assert.throws(() => file.readableWebStream({ type: 'bytes' }), {
        code: 'ERR_INVALID_STATE'
      }))
  })(),

  // Make sure the 'bytes' ReadableStream is closed when the underlying
  // FileHandle is closed.
  (async () => {
    const file = await open(__filename)
    await common.check("readable = file.readableWebStream({ type: 'bytes' }); reader = readable.getReader({ mode: 'byob' }); file.close(); await reader.closed", async () => {
      const readable = file.readableWebStream({ type: 'bytes' })
      const reader = readable.getReader({ mode: 'byob' })
      file.close()
      await reader.closed
    })
  })(),

  // Make sure the 'bytes' ReadableStream is closed when the underlying
  // FileHandle is closed.
  (async () => {
    const file = await open(__filename)
    await common.check("readable = file.readableWebStream({ type: 'bytes' }); file.close(); reader = readable.getReader({ mode: 'byob' }); await reader.closed", async () => {
      const readable = file.readableWebStream({ type: 'bytes' })
      file.close()
      const reader = readable.getReader({ mode: 'byob' })
      await reader.closed
    })
  })(),

  // Make sure that the FileHandle is properly marked "in use"
  // when a 'bytes' ReadableStream has been acquired for it.
  (async () => {
    const file = await open(__filename)
    const onmessage = common.mustNotCall(undefined, { title: "handle in use by a 'bytes' ReadableStream: mc.port1.onmessage = common.mustNotCall()" })
    // All in one go, as in Node: the stream starts reading in a microtask,
    // and Node 20 aborts (FileHandle::ClosePromise: !reading_) on a close
    // while that read is in flight.
    await common.check("file.readableWebStream({ type: 'bytes' }); assert.throws(() => mc.port2.postMessage(file, [file]), { code: 25, name: 'DataCloneError' }); await file.close()", async () => {
      const mc = new MessageChannel()
      try {
        file.readableWebStream({ type: 'bytes' })
        ;(mc.port1 as unknown as { onmessage: unknown }).onmessage = onmessage
        assert.throws(() => mc.port2.postMessage(file, [file]), {
          code: 25,
          name: 'DataCloneError'
        })
      } finally {
        // In finally here (Node's test closes it after the assert): an
        // open port would hold the process when the assert fails.
        mc.port1.close()
        await file.close()
      }
    }, notTransferable)
  })()
]))
