// Soak: a million ops in a loop on this run's engine, with the process's
// RSS and open descriptors sampled as it goes. Both must stay bounded: a
// leak of one small allocation per op would show as tens of MiB here, and
// of one descriptor per batch as thousands. Prints the growth it saw.
// Run by `npm run test:stress` (scripts/stress.js), with --expose-gc so
// that the samples are taken after a full collection.
import t from 'tap'
import { closeSync, openSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AIO, ControlBlock, open } from '../../lib/index'
import { backend, scratchDir } from '../helpers'

const OPS = Number(process.env.SOAK_OPS ?? 1_000_000)
const BATCH = 256
const SIZE = 4096
const MiB = 1024 * 1024

const gc = (globalThis as { gc?: () => void }).gc

function sample (): { rss: number, fds: number } {
  gc?.()
  return { rss: process.memoryUsage().rss, fds: readdirSync('/proc/self/fd').length }
}

t.test(`soak: ${OPS} ops, RSS and fds bounded (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'soak.bin')
  writeFileSync(path, Buffer.alloc(BATCH * SIZE, 0x61))
  const start = sample()
  const fd = openSync(path, 'r+')
  const fh = await open(path, 'r+')
  const blocks = Array.from({ length: BATCH }, (_, i) =>
    new ControlBlock({ fd, buffer: Buffer.alloc(SIZE), offset: i * SIZE, opcode: i % 4 === 0 ? AIO.LIO_WRITE : AIO.LIO_READ }))
  const before = AIO.stats()
  const started = Date.now()
  let ops = 0
  let warm: { rss: number, fds: number } | undefined
  let peak = 0
  const samples: string[] = []
  const rss: Array<[number, number]> = [] // [ops, bytes], after warm-up
  let round = 0
  while (ops < OPS) {
    // Most ops through reused blocks; every round also some fresh objects
    // (blocks, buffers, a file handle call, a small many-files write).
    const fresh = Array.from({ length: 8 }, (_, i) => new ControlBlock({ fd, buffer: Buffer.alloc(512), offset: i * 512 }))
    const results = await Promise.all([
      AIO.lioListio(AIO.LIO_NOWAIT, blocks),
      ...fresh.map((cb) => AIO.read(cb)),
      fh.read(Buffer.alloc(SIZE), 0, SIZE, (round % BATCH) * SIZE),
      fh.write(Buffer.alloc(64, 0x62), 0, 64, (round % BATCH) * SIZE),
      round % 16 === 0 ? AIO.write({ [join(dir, `f${round % 8}`)]: 'soak' }) : undefined
    ])
    if ((results[0] as number[]).some((n) => n !== SIZE)) throw new Error('a short or failed op in the soak')
    ops += BATCH + fresh.length + 2 + (round % 16 === 0 ? 1 : 0)
    round++
    // The first tenth warms up (heap, glibc's threads and request pool).
    if (warm === undefined && ops >= OPS / 10) warm = sample()
    if (round % 200 === 0) {
      const now = sample()
      peak = Math.max(peak, now.rss)
      if (warm !== undefined) rss.push([ops, now.rss])
      samples.push(`${Math.round(ops / 1000)}k: ${(now.rss / MiB).toFixed(1)} MiB, ${now.fds} fds`)
    }
  }
  await fh.close()
  closeSync(fd)
  const end = sample()
  const took = (Date.now() - started) / 1000
  const after = AIO.stats()
  t.equal(after.completed - before.completed, after.submitted - before.submitted, 'every op delivered')
  t.ok(after.submitted - before.submitted >= OPS, `${after.submitted - before.submitted} ops submitted`)
  t.equal(after.inFlight, 0)
  t.equal(end.fds, start.fds, `open fds: ${start.fds} before, ${end.fds} after`)
  // Single samples swing by tens of MiB (V8's heap, glibc's arenas), so the
  // growth is the trend: a least-squares line through the samples after
  // warm-up, over the ops they span. A leak of 32 bytes per op would be
  // 30 MiB over 1M ops. The highest sample must stay near the warm one too.
  let growth = (end.rss - warm!.rss) / MiB
  if (rss.length >= 4) {
    const n = rss.length
    const mx = rss.reduce((a, [x]) => a + x, 0) / n
    const my = rss.reduce((a, [, y]) => a + y, 0) / n
    const slope = rss.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / rss.reduce((a, [x]) => a + (x - mx) ** 2, 0)
    growth = slope * (rss[n - 1][0] - rss[0][0]) / MiB
  }
  t.ok(growth < 32, `RSS growth after warm-up: ${growth.toFixed(1)} MiB (trend of ${rss.length} samples)`)
  t.ok(peak - warm!.rss < 128 * MiB, `RSS peak ${((peak - warm!.rss) / MiB).toFixed(1)} MiB above the warm-up sample`)
  t.comment(samples.join('; '))
  t.comment(`${ops} ops in ${took.toFixed(1)} s (${Math.round(ops / took)} ops/s); RSS ${(start.rss / MiB).toFixed(1)} MiB at start, ` +
    `${(warm!.rss / MiB).toFixed(1)} after warm-up, ${(end.rss / MiB).toFixed(1)} at end (growth ${growth.toFixed(1)} MiB, ` +
    `peak ${(peak / MiB).toFixed(1)}); fds ${start.fds} before, ${end.fds} after; gc ${gc ? 'exposed' : 'not exposed'}`)
})
