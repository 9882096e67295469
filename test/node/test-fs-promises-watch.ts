// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-watch.js
// (MIT, Node.js contributors). `watch` (require('fs/promises').watch) is
// common.fsp.watch (the project's is Node's own, re-exported); each assert,
// each assert.rejects, and the AbortError of the last block are a check of
// their own (see common.ts). The two watch cases run side by side, as in
// Node; the flow waits for both.
import assert from 'node:assert'
import fs from 'node:fs'
import { join } from 'node:path'
import * as common from './common'

const { tmpdir, check } = common
const { watch } = common.fsp

class WatchTestCase {
  dirName: string
  fileName: string
  field: 'filePath' | 'dirPath'
  shouldSkip: boolean
  constructor (shouldInclude: boolean, dirName: string, fileName: string, field: 'filePath' | 'dirPath') {
    this.dirName = dirName
    this.fileName = fileName
    this.field = field
    this.shouldSkip = !shouldInclude
  }

  get dirPath (): string { return tmpdir.resolve(this.dirName) }
  get filePath (): string { return join(this.dirPath, this.fileName) }
}

const kCases = [
  // Watch on a directory should callback with a filename on supported systems
  new WatchTestCase(
    common.isLinux || common.isOSX || common.isWindows || process.platform === 'aix',
    'watch1',
    'foo',
    'filePath'
  ),
  // Watch on a file should callback with a filename on supported systems
  new WatchTestCase(
    common.isLinux || common.isOSX || common.isWindows,
    'watch2',
    'bar',
    'dirPath'
  )
]

tmpdir.refresh()

// Node's watch() takes no number or bad options in its types.
const watchAny = watch as (filename: unknown, options?: unknown) => AsyncIterable<unknown>

common.run(async () => {
  const cases: Array<Promise<void>> = []
  for (const testCase of kCases) {
    if (testCase.shouldSkip) continue
    fs.mkdirSync(testCase.dirPath)
    // Long content so it's actually flushed.
    const content1 = Date.now() + testCase.fileName.toLowerCase().repeat(1e4)
    fs.writeFileSync(testCase.filePath, content1)

    const ctx = `watch(${testCase.field === 'filePath' ? 'a file' : 'a directory'}, ${testCase.dirName})`
    let interval: NodeJS.Timeout | undefined
    async function test (): Promise<void> {
      const watcher = watch(testCase[testCase.field])
      for await (const { eventType, filename } of watcher) {
        clearInterval(interval)
        await check(`${ctx}: assert.strictEqual(['rename', 'change'].includes(eventType), true)`, () =>
          assert.strictEqual(['rename', 'change'].includes(eventType), true))
        await check(`${ctx}: assert.strictEqual(filename, testCase.fileName)`, () =>
          assert.strictEqual(filename, testCase.fileName))
        break
      }

      // Waiting on it again is a non-op
      await check(`${ctx}: waiting on it again is a no-op: for await (const p of watcher) assert.fail('should not run')`, async () => {
        // eslint-disable-next-line @typescript-eslint/no-unused-vars
        for await (const p of watcher) {
          assert.fail('should not run')
        }
      })
    }

    // Long content so it's actually flushed. toUpperCase so there's real change.
    const content2 = Date.now() + testCase.fileName.toUpperCase().repeat(1e4)
    const running = check(`${ctx}: test().then(common.mustCall())`, test)
    interval = setInterval(() => {
      fs.writeFileSync(testCase.filePath, '')
      fs.writeFileSync(testCase.filePath, content2)
    }, 100)
    cases.push(running)
  }

  const rejections: Array<[string, () => AsyncIterable<unknown>, string]> = [
    ['watch(1)', () => watchAny(1), 'ERR_INVALID_ARG_TYPE'],
    ['watch(__filename, 1)', () => watchAny(__filename, 1), 'ERR_INVALID_ARG_TYPE'],
    ["watch('', { persistent: 1 })", () => watchAny('', { persistent: 1 }), 'ERR_INVALID_ARG_TYPE'],
    ["watch('', { recursive: 1 })", () => watchAny('', { recursive: 1 }), 'ERR_INVALID_ARG_TYPE'],
    ["watch('', { encoding: 1 })", () => watchAny('', { encoding: 1 }), 'ERR_INVALID_ARG_VALUE'],
    ["watch('', { signal: 1 })", () => watchAny('', { signal: 1 }), 'ERR_INVALID_ARG_TYPE']
  ]
  for (const [shown, call, code] of rejections) {
    await check(`assert.rejects(async () => { for await (const _ of ${shown}) { } }, { code: '${code}' })`, () =>
      assert.rejects(
        async () => {
          // eslint-disable-next-line @typescript-eslint/no-unused-vars, no-empty
          for await (const _ of call()) { }
        },
        { code }))
  }

  await check("watch(__filename, { signal }), setImmediate(() => ac.abort()): assert.strictEqual(err.name, 'AbortError')", async () => {
    const ac = new AbortController()
    const { signal } = ac
    setImmediate(() => ac.abort())
    try {
      // eslint-disable-next-line @typescript-eslint/no-unused-vars, no-empty
      for await (const _ of watch(__filename, { signal })) { }
    } catch (err) {
      assert.strictEqual((err as Error).name, 'AbortError')
    }
  })

  await Promise.all(cases)
})
