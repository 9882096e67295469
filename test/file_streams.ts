// fh.createReadStream, fh.createWriteStream and fh.readLines side by side
// with fs.promises' FileHandle streams: the same bytes, events and errors;
// then what fs's streams do not do: several ops in flight.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, ReadStream, WriteStream, writeFileSync, createReadStream as fsCreateReadStream } from 'node:fs'
import { open as fsOpen } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AIO, open } from '../lib/index'
import { backend, scratchDir } from './helpers'

type Opener = (path: string, flags?: string) => Promise<{ createReadStream: (o?: object) => ReadStream, createWriteStream: (o?: object) => WriteStream, close: () => Promise<void>, fd: number }>
const openers: Array<[string, Opener]> = [['fs', fsOpen as unknown as Opener], ['aio', open as unknown as Opener]]

// Everything a read stream emits, in order, and the bytes.
async function drain (stream: ReadStream): Promise<{ events: string[], bytes: Buffer }> {
  const events: string[] = []
  const chunks: Buffer[] = []
  for (const name of ['open', 'ready', 'end', 'close', 'pause', 'resume']) stream.on(name, () => events.push(name))
  stream.on('data', (chunk: Buffer) => { chunks.push(chunk); if (events.at(-1) !== 'data') events.push('data') })
  await new Promise<void>((resolve) => {
    stream.on('error', (error: NodeJS.ErrnoException) => { events.push(`error ${error.code ?? error.name}`); resolve() })
    stream.on('close', () => resolve())
  })
  return { events, bytes: Buffer.concat(chunks) }
}

t.test(`read streams give fs's bytes and events for many sizes and ranges (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const sizes = [0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 3 * 65536, 1024 * 1024 + 7]
  const cases: Array<Record<string, number>> = [{}, { highWaterMark: 4096 }, { start: 0, end: 0 }, { start: 5 }, { start: 4095, end: 70000 },
    { end: 65535 }, { start: 100000, end: 100 + 100000 }, { highWaterMark: 1000, start: 3 }]
  for (const size of sizes) {
    const path = join(dir, `r${size}`)
    const data = randomBytes(size)
    writeFileSync(path, data)
    for (const options of cases) {
      const outcomes = []
      for (const [, opener] of openers) {
        const fh = await opener(path)
        outcomes.push(await drain(fh.createReadStream(options)))
        t.equal(fh.fd, -1, 'autoClose closes the handle')
      }
      const [theirs, ours] = outcomes
      t.same(ours.events, theirs.events, `${size} bytes, ${JSON.stringify(options)}: events`)
      t.ok(ours.bytes.equals(theirs.bytes), `${size} bytes, ${JSON.stringify(options)}: bytes (${ours.bytes.length})`)
    }
  }
})

t.test(`read stream options and errors, like fs (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'text')
  writeFileSync(path, 'héllo\n'.repeat(20000))
  for (const options of [{ encoding: 'utf8' }, { encoding: 'latin1', highWaterMark: 7 }, { emitClose: false }, { autoClose: false }]) {
    const outcomes = []
    for (const [, opener] of openers) {
      const fh = await opener(path)
      const stream = fh.createReadStream(options)
      let text = ''
      stream.on('data', (chunk: string | Buffer) => { text += typeof chunk === 'string' ? `${chunk.length}:${chunk.slice(0, 3)}` : chunk.length })
      const events: string[] = []
      stream.on('end', () => events.push('end'))
      stream.on('close', () => events.push('close'))
      const closed = new Promise((resolve) => stream.on('close', resolve))
      await new Promise((resolve) => stream.on('end', resolve))
      const { autoClose, emitClose } = options as { autoClose?: boolean, emitClose?: boolean }
      if (autoClose !== false && emitClose !== false) await closed
      while (autoClose !== false && fh.fd !== -1) await new Promise((resolve) => setTimeout(resolve, 5))
      await new Promise((resolve) => setTimeout(resolve, 20))
      outcomes.push({ text, events: [...events], fd: fh.fd })
      await fh.close()
    }
    t.same(outcomes[1], outcomes[0], JSON.stringify(options))
  }
  for (const bad of [{ start: -1 }, { end: 'x' }, { start: 5, end: 2 }, { highWaterMark: -1 }, { encoding: 'bogus' }, { fs: {} }]) {
    const errors = []
    for (const [, opener] of openers) {
      const fh = await opener(path)
      try {
        fh.createReadStream(bad)
        errors.push(null)
      } catch (error) {
        errors.push({ name: (error as Error).name, code: (error as { code?: string }).code, message: (error as Error).message })
      }
      // fs's handle keeps a listener for the stream that failed to start,
      // which throws when the handle closes (a bug of fs's own).
      await Promise.resolve().then(() => fh.close()).catch(() => {})
    }
    t.same(errors[1], errors[0], `${JSON.stringify(bad)} throws as fs's does`)
  }
})

t.test(`a read stream on a directory fails as fs's does (${backend})`, async (t) => {
  const dir = join(scratchDir(t), 'sub')
  mkdirSync(dir)
  const outcomes = []
  for (const [, opener] of openers) {
    const fh = await opener(dir)
    outcomes.push(await drain(fh.createReadStream()))
  }
  t.same(outcomes[1].events, outcomes[0].events)
  t.match(outcomes[1].events, ['resume', 'error EISDIR', 'close'])
})

t.test(`destroying a read stream mid-flight closes the handle once its reads are done (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'big')
  const data = randomBytes(8 * 1024 * 1024)
  writeFileSync(path, data)
  const fh = await open(path)
  const stream = fh.createReadStream()
  const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve))
  t.ok(first.equals(data.subarray(0, first.length)))
  stream.destroy()
  await new Promise((resolve) => stream.on('close', resolve))
  t.equal(fh.fd, -1)
  t.equal(AIO.stats().inFlight, 0, 'no read left behind')
})

t.test(`closing the handle ends its streams, as fs (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'closing')
  writeFileSync(path, randomBytes(1024 * 1024))
  const outcomes = []
  for (const [, opener] of openers) {
    const fh = await opener(path)
    const stream = fh.createReadStream({ autoClose: false, highWaterMark: 1024 })
    const events: string[] = []
    stream.on('close', () => events.push('close'))
    stream.on('error', (error: NodeJS.ErrnoException) => events.push(`error ${error.code}`))
    await new Promise((resolve) => stream.once('data', resolve))
    stream.pause()
    await fh.close()
    await new Promise((resolve) => setTimeout(resolve, 20))
    outcomes.push({ events, destroyed: stream.destroyed, fd: fh.fd })
  }
  t.same(outcomes[1], outcomes[0])
})

t.test(`write streams leave fs's file, in every chunking (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const data = randomBytes(2 * 1024 * 1024 + 3)
  for (const [chunk, options] of [[1, {}], [4096, {}], [65536, {}], [65537, { highWaterMark: 1024 }], [100000, { start: 10 }], [7, { encoding: 'latin1' }]] as Array<[number, object]>) {
    const files = []
    for (const [name, opener] of openers) {
      const path = join(dir, `${name}-${chunk}`)
      writeFileSync(path, 'x'.repeat(20))
      const fh = await opener(path, 'r+')
      const stream = fh.createWriteStream(options)
      const events: string[] = []
      for (const event of ['finish', 'close']) stream.on(event, () => events.push(event))
      const source = data.subarray(0, chunk === 1 ? 5000 : data.length)
      for (let at = 0; at < source.length; at += chunk) {
        if (!stream.write(source.subarray(at, at + chunk))) await new Promise((resolve) => stream.once('drain', resolve))
      }
      stream.end()
      await new Promise((resolve) => stream.on('close', resolve))
      files.push({ events, bytesWritten: stream.bytesWritten, file: readFileSync(path).toString('hex'), fd: fh.fd })
    }
    t.same(files[1], files[0], `chunks of ${chunk}, ${JSON.stringify(options)}`)
  }
})

t.test(`pipeline() with Node's own streams, and flush (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const source = join(dir, 'source')
  const data = randomBytes(3 * 1024 * 1024 + 11)
  writeFileSync(source, data)
  const input = await open(source)
  const output = await open(join(dir, 'copy'), 'w')
  await pipeline(input.createReadStream(), new PassThrough(), output.createWriteStream({ flush: true }))
  t.ok(readFileSync(join(dir, 'copy')).equals(data))
  const second = await open(join(dir, 'copy2'), 'w')
  await pipeline(fsCreateReadStream(source), second.createWriteStream())
  t.ok(readFileSync(join(dir, 'copy2')).equals(data))
  const collected: Buffer[] = []
  const third = await open(source)
  await pipeline(third.createReadStream({ highWaterMark: 3000 }), new Writable({
    highWaterMark: 1,
    write (chunk: Buffer, _encoding, cb) { collected.push(chunk); setImmediate(cb) }
  }))
  t.ok(Buffer.concat(collected).equals(data), 'a slow consumer gets every byte, in order')
})

t.test(`a failed write fails the stream before 'finish', as fs's (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'readonly')
  writeFileSync(path, '')
  for (const [writes, flush] of [[1, false], [1, true], [40, false], [40, true]] as Array<[number, boolean]>) {
    const outcomes = []
    for (const [, opener] of openers) {
      const fh = await opener(path, 'r')
      const stream = fh.createWriteStream({ flush, highWaterMark: 16 })
      const events: string[] = []
      for (const event of ['finish', 'close']) stream.on(event, () => events.push(event))
      stream.on('error', (error: NodeJS.ErrnoException) => events.push(`error ${error.code} ${error.syscall}`))
      const closed = new Promise((resolve) => stream.on('close', resolve))
      // Each write a tick apart: the later ones meet the failure.
      for (let i = 0; i < writes && !stream.destroyed; i++) {
        stream.write('data')
        await new Promise((resolve) => setImmediate(resolve))
      }
      stream.end()
      await closed
      outcomes.push({ events, fd: fh.fd })
    }
    t.same(outcomes[1], outcomes[0], `${writes} writes, flush ${flush}`)
    t.match(outcomes[1].events, ['error EBADF write', 'close'])
  }
})

t.test(`readLines gives fs's lines (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'lines')
  writeFileSync(path, 'one\r\ntwo\n\nthree\rfour\n' + 'x'.repeat(70000) + '\nlast')
  const results = []
  for (const [, opener] of openers) {
    const fh = await opener(path) as unknown as { readLines: (o?: object) => AsyncIterable<string> }
    const lines: string[] = []
    for await (const line of fh.readLines({ highWaterMark: 1000 })) lines.push(line.length > 10 ? `${line.length}` : line)
    results.push(lines)
  }
  t.same(results[1], results[0])
})

t.test(`a read stream keeps several reads in flight on a regular file (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'depth')
  writeFileSync(path, randomBytes(16 * 1024 * 1024))
  const fh = await open(path)
  const stream = fh.createReadStream({ highWaterMark: 4096 })
  let most = 0
  let sampling = true
  const sample = (): void => {
    most = Math.max(most, AIO.stats().inFlight)
    if (sampling) setImmediate(sample)
  }
  sample()
  stream.on('data', () => { most = Math.max(most, AIO.stats().inFlight) })
  await new Promise((resolve) => stream.on('close', resolve))
  sampling = false
  t.ok(most >= 2, `up to ${most} reads in flight`)
})

t.test(`a stream with no start reads from the handle's position and leaves it where it stopped (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'positions')
  const data = randomBytes(300000)
  writeFileSync(path, data)
  const outcomes = []
  for (const [, opener] of openers) {
    const fh = await opener(path) as unknown as { read: (b: Buffer, o: number, l: number, p: null) => Promise<{ bytesRead: number }>, createReadStream: (o?: object) => ReadStream, close: () => Promise<void> }
    await fh.read(Buffer.alloc(1000), 0, 1000, null)
    const streamed: Buffer[] = []
    const stream = fh.createReadStream({ autoClose: false, highWaterMark: 4096, end: 50000 })
    for await (const chunk of stream) streamed.push(chunk as Buffer)
    const after = Buffer.alloc(10)
    await fh.read(after, 0, 10, null)
    const bytes = Buffer.concat(streamed)
    outcomes.push({ length: bytes.length, from: data.indexOf(bytes.subarray(0, 64)), same: bytes.equals(data.subarray(1000, 1000 + bytes.length)), after: data.indexOf(after) })
    await fh.close()
  }
  t.same(outcomes[1], outcomes[0])
})

t.test(`readableWebStream gives the file, and refuses what Node's refuses (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'web')
  const data = randomBytes(200000)
  writeFileSync(path, data)
  for (const type of [undefined, 'bytes'] as const) {
    const fh = await open(path)
    const chunks: Uint8Array[] = []
    for await (const chunk of fh.readableWebStream(type === undefined ? {} : { type })) chunks.push(chunk)
    t.ok(Buffer.concat(chunks).equals(data), `type ${type}: the whole file`)
    await fh.close()
  }
  const outcomes = []
  for (const [, opener] of openers) {
    const fh = await opener(path) as unknown as { readableWebStream: (o: unknown) => unknown, close: () => Promise<void> }
    const errors = []
    for (const bad of [{ type: 5 }, null]) {
      try {
        fh.readableWebStream(bad)
        errors.push(null)
      } catch (error) {
        errors.push({ name: (error as Error).name, code: (error as { code?: string }).code, message: (error as Error).message })
      }
    }
    outcomes.push(errors)
    await fh.close()
  }
  t.same(outcomes[1], outcomes[0])
})

t.test(`closing the handle mid-read ends its web stream (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'web-close')
  writeFileSync(path, randomBytes(1024 * 1024))
  for (const type of [undefined, 'bytes'] as const) {
    const fh = await open(path)
    const reader = fh.readableWebStream(type === undefined ? {} : { type }).getReader()
    const first = await reader.read()
    t.ok(first.value!.byteLength > 0, `type ${type}: a first chunk`)
    // Drain what is queued, then a read that waits for the file.
    let next = await Promise.race([reader.read(), new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))])
    while (next !== 'pending' && next.done !== true) next = await Promise.race([reader.read(), new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))])
    const closing = fh.close()
    await reader.closed
    await closing
    t.equal(fh.fd, -1, `type ${type}: closed`)
  }
})

t.test(`streams on an append handle work one op at a time, as fs's (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const outcomes = []
  for (const [name, opener] of openers) {
    const path = join(dir, name)
    writeFileSync(path, 'start\n')
    const writer = await opener(path, 'a')
    const ws = writer.createWriteStream()
    for (let i = 0; i < 50; i++) ws.write(`line ${i}\n`)
    ws.end()
    await new Promise((resolve) => ws.on('close', resolve))
    const reader = await opener(path, 'a+')
    const read = await drain(reader.createReadStream({ highWaterMark: 64 }))
    outcomes.push({ events: read.events, text: read.bytes.toString(), file: readFileSync(path, 'utf8'), fds: [writer.fd, reader.fd] })
  }
  t.same(outcomes[1], outcomes[0])
  t.match(outcomes[1].file, /^start\nline 0\n[^]*line 49\n$/)
  t.equal(outcomes[1].text, outcomes[1].file, 'read back whole')
})
