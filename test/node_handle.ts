// Where fs takes a FileHandle (an `instanceof` check on its own class), it
// takes the project's: fs's streams on it read and write through the
// handle, and nothing Node does with a FileHandle it was not built by
// (transfer, clone) harms the process.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs'
import { open as fsOpen, readFile as fsReadFile, writeFile as fsWriteFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { MessageChannel } from 'node:worker_threads'
import { AIO, open } from '../lib/index'
import { backend, scratchDir } from './helpers'

t.test(`fs takes the project's handles where it takes a FileHandle (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'data')
  const data = randomBytes(300_000)
  writeFileSync(path, data)
  const probe = await fsOpen(path)
  const FileHandle = probe.constructor
  await probe.close()
  const fh = await open(path)
  t.ok(fh instanceof FileHandle, "an instance of Node's FileHandle class")

  // fs.createReadStream(null, { fd: handle }): fs's stream, reading through the handle.
  const before = AIO.stats().submitted
  const chunks: Buffer[] = []
  for await (const chunk of createReadStream(null as never, { fd: fh as never, highWaterMark: 65536 })) chunks.push(chunk as Buffer)
  t.ok(Buffer.concat(chunks).equals(data), 'fs.createReadStream(null, { fd: handle }) gives the file')
  t.ok(AIO.stats().submitted - before >= 5, "its reads went through the engine (the handle's read)")
  t.equal(fh.fd, -1, 'and it closed the handle at the end, as with a FileHandle')

  // fs.createWriteStream(null, { fd: handle }), and a pipeline into it.
  const copy = join(dir, 'copy')
  const out = await open(copy, 'w')
  await pipeline(createReadStream(path), createWriteStream(null as never, { fd: out as never }))
  t.ok(readFileSync(copy).equals(data), 'fs.createWriteStream(null, { fd: handle }) leaves the file')
  t.equal(out.fd, -1)

  // readline over fs's stream on a handle.
  const text = join(dir, 'lines')
  writeFileSync(text, 'one\ntwo\nthree\n')
  const lines: string[] = []
  for await (const line of createInterface({ input: createReadStream(null as never, { fd: await open(text) as never }) })) lines.push(line)
  t.same(lines, ['one', 'two', 'three'], 'readline')

  // Closing the handle ends fs's stream on it, as with a FileHandle.
  const held = await open(path)
  const stream = createReadStream(null as never, { fd: held as never, highWaterMark: 1 })
  const closed = new Promise((resolve) => stream.once('close', resolve))
  await held.close()
  await closed
  t.ok(stream.destroyed, "the stream closed with the handle")

  // fs.promises.readFile / writeFile take it too (and read or write its descriptor themselves).
  const whole = await open(path)
  t.ok((await fsReadFile(whole as never) as Buffer).equals(data), 'fs.promises.readFile(handle)')
  await whole.close()
  const written = await open(join(dir, 'written'), 'w')
  await fsWriteFile(written as never, 'by fs')
  await written.close()
  t.equal(readFileSync(join(dir, 'written'), 'utf8'), 'by fs', 'fs.promises.writeFile(handle)')
})

t.test(`Node's transfer and clone refuse the project's handle, as an object it cannot transfer (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'data')
  writeFileSync(path, 'xyz')
  const fh = await open(path)
  const { port1, port2 } = new MessageChannel()
  t.throws(() => port1.postMessage(fh, [fh as never]), 'postMessage(handle, [handle]) throws')
  t.not(fh.fd, -1, 'the handle is untouched')
  t.equal((await fh.read(Buffer.alloc(3), 0, 3, 0)).bytesRead, 3, 'and works')
  t.doesNotThrow(() => structuredClone(fh), 'structuredClone copies its own fields, as of any object')
  port1.close()
  port2.close()
  await fh.close()
})
