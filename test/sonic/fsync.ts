// Ported from sonic-boom (MIT, pinojs contributors), test/fsync.test.js at
// 8d30006: each test's body as sonic-boom wrote it; only what constructs the
// stream changed (the harness's SonicBoom: LogWriter, or sonic-boom with
// PARITY_PEER=node), the helper's and node:test's import (./common).
//
// Both tests replace sonic-boom's `fs` with proxyquire to count its
// fs.fsyncSync calls (LogWriter's IO goes through the project's engine, not
// through `fs`). Ported with an observation for the count: whether the
// file's bytes are written back, see writtenBack().
// - fsync with sync: with sync: true each write() writes and fsyncs before
//   it returns, so the file is written back right after the first. The
//   second write goes into the block the first one allocated: written back or
//   not, nothing shows it, so that fsync is not checked (t.plan(4), theirs 5).
// - fsync with async: the writes and their fsyncs run one after another with
//   no moment between to look (end() is called at once); the file is seen
//   written back at 'finish' (t.plan(6), theirs 7). sonic-boom fsyncs every
//   file it closes, fsync: true or not (and so, as sonic-boom, does
//   LogWriter), so this shows less than the fake's count: that the bytes are
//   on disk at 'finish', not that each write was fsynced.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { SonicBoom, file, test, type Stream } from './common'

/** filefrag -v: whether some of the file's bytes are not written back yet (no blocks allocated). */
function delalloc (dest: string): boolean {
  return /\bdelalloc\b/.test(execFileSync('filefrag', ['-v', dest], { encoding: 'utf8' }))
}

let delallocShown: boolean | undefined

/**
 * Whether the file's bytes are written back: what an fsync (or fdatasync)
 * does, observed. ext4 (the file system here) allocates a new file's blocks
 * only when it writes the bytes back, and FIEMAP (filefrag -v) marks the
 * bytes it holds back `delalloc` until then; the kernel writes back by itself
 * only after 30 s (vm.dirty_expire_centisecs) or under memory pressure.
 * Checked first on a file written without fsync: a file system that does not
 * show it cannot tell, and the check throws.
 */
function writtenBack (dest: string): boolean {
  if (delallocShown === undefined) {
    const control = file()
    const fd = fs.openSync(control, 'wx')
    try {
      fs.writeSync(fd, 'not synced\n')
      delallocShown = delalloc(control)
    } finally {
      fs.closeSync(fd)
    }
  }
  if (!delallocShown) throw new Error('filefrag shows no delayed allocation here: whether a file was fsynced cannot be seen')
  return !delalloc(dest)
}

// An observation for the fake's count (see the top of the file).
test('fsync with sync', (t, end) => {
  t.plan(4)

  const dest = file()
  const fd = fs.openSync(dest, 'w')
  const stream: Stream = new SonicBoom({ fd, sync: true, fsync: true })

  t.assert.ok(stream.write('hello world\n'))
  // In place of the fake fs.fsyncSync's first assertion.
  t.assert.ok(writtenBack(dest), 'written back (fsynced) when write() returns')
  t.assert.ok(stream.write('something else\n'))

  stream.end()

  const data = fs.readFileSync(dest, 'utf8')
  t.assert.equal(data, 'hello world\nsomething else\n')

  end()
})

// An observation for the fake's count (see the top of the file).
test('fsync with async', (t, end) => {
  t.plan(6)

  const dest = file()
  const fd = fs.openSync(dest, 'w')
  const stream: Stream = new SonicBoom({ fd, fsync: true })

  t.assert.ok(stream.write('hello world\n'))
  t.assert.ok(stream.write('something else\n'))

  stream.end()

  stream.on('finish', () => {
    // In place of the fake fs.fsyncSync's assertions.
    t.assert.ok(writtenBack(dest), 'written back (fsynced) at finish')
    fs.readFile(dest, 'utf8', (err, data) => {
      t.assert.ifError(err)
      t.assert.equal(data, 'hello world\nsomething else\n')
      end()
    })
  })
  stream.on('close', () => {
    t.assert.ok('close emitted')
  })
}, { timeout: 3000 })
