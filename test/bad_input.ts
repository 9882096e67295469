// Bad input to the public API: every bad argument throws synchronously a
// TypeError / RangeError / Error with a Node-style ERR_* code and message,
// and nothing is submitted. Then: nothing a caller passes crashes the process.
import t, { type Test } from 'tap'
import { constants as bufferConstants } from 'node:buffer'
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AIO, ControlBlock } from '../lib/index'

// Real files for the calls that need a real fd.
const dir = mkdtempSync(join(tmpdir(), 'posix-aio-bad-input-'))
const file = join(dir, 'data.txt')
const other = join(dir, 'other.txt')
writeFileSync(file, 'hello world')
writeFileSync(other, 'other')
const fd = openSync(file, 'r+')
const otherFd = openSync(other, 'r')
// A path that no bad call may create.
const never = join(dir, 'never.txt')
t.teardown(() => {
  closeSync(fd)
  closeSync(otherFd)
  rmSync(dir, { recursive: true, force: true })
})

// Passes a deliberately ill-typed value past the compiler.
function bad (value: unknown): never {
  return value as never
}

// A valid block on the real file.
function good (options: { nbytes?: number, opcode?: number } = {}): ControlBlock {
  return new ControlBlock({ fd, buffer: Buffer.alloc(4), ...options })
}

function counts (): { submitted: number, batches: number } {
  const { submitted, batches } = AIO.stats()
  return { submitted, batches }
}

interface Row {
  name: string
  call: () => unknown
  type: typeof TypeError | typeof RangeError | typeof Error
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE' | 'ERR_INVALID_STATE'
  message: string | RegExp
}

const TYPE = 'ERR_INVALID_ARG_TYPE'
const VALUE = 'ERR_INVALID_ARG_VALUE'
const RANGE = 'ERR_OUT_OF_RANGE'
const STATE = 'ERR_INVALID_STATE'
const VIEW = 'must be an instance of Buffer, TypedArray, or DataView.'
const FD_RANGE = 'It must be >= 0 && <= 2147483647.'
const SAFE_RANGE = 'It must be >= 0 && <= 9007199254740991.'

// Checks one row: throws synchronously, the expected error, nothing submitted.
async function check (t: Test, row: Row): Promise<void> {
  const before = counts()
  const wanted = { name: row.type.name, code: row.code, message: row.message }
  const error = t.throws(() => row.call(), wanted, `${row.name}: throws synchronously`)
  t.type(error, row.type, `${row.name}: is a ${row.type.name}`)
  t.same(counts(), before, `${row.name}: nothing submitted`)
}

const rows: Row[] = [
  // ControlBlock constructor options
  { name: 'new ControlBlock(string)', call: () => new ControlBlock(bad('x')), type: TypeError, code: TYPE, message: 'The "options" argument must be of type object. Received type string (\'x\')' },
  { name: 'new ControlBlock(null)', call: () => new ControlBlock(bad(null)), type: TypeError, code: TYPE, message: 'The "options" argument must be of type object. Received null' },
  { name: 'new ControlBlock(array)', call: () => new ControlBlock(bad([])), type: TypeError, code: TYPE, message: 'The "options" argument must be of type object. Received an instance of Array' },
  { name: 'fd string', call: () => new ControlBlock({ fd: bad('x') }), type: TypeError, code: TYPE, message: 'The "cb.fd" property must be of type number. Received type string (\'x\')' },
  { name: 'fd negative', call: () => new ControlBlock({ fd: -2 }), type: RangeError, code: RANGE, message: 'The value of "cb.fd" is out of range. It must be >= -1 && <= 2147483647. Received -2' },
  { name: 'fd fractional', call: () => new ControlBlock({ fd: 1.5 }), type: RangeError, code: RANGE, message: 'The value of "cb.fd" is out of range. It must be an integer. Received 1.5' },
  { name: 'fd > 2^31-1', call: () => new ControlBlock({ fd: 2 ** 31 }), type: RangeError, code: RANGE, message: /^The value of "cb\.fd" is out of range\. It must be >= -1 && <= 2147483647\. Received 2_?147_?483_?648$/ },
  { name: 'buffer string', call: () => new ControlBlock({ buffer: bad('abc') }), type: TypeError, code: TYPE, message: `The "cb.buffer" property ${VIEW} Received type string ('abc')` },
  { name: 'buffer ArrayBuffer', call: () => new ControlBlock({ buffer: bad(new ArrayBuffer(4)) }), type: TypeError, code: TYPE, message: `The "cb.buffer" property ${VIEW} Received an instance of ArrayBuffer` },
  { name: 'buffer array', call: () => new ControlBlock({ buffer: bad([1, 2]) }), type: TypeError, code: TYPE, message: `The "cb.buffer" property ${VIEW} Received an instance of Array` },
  { name: 'nbytes negative', call: () => new ControlBlock({ nbytes: -1 }), type: RangeError, code: RANGE, message: `The value of "cb.nbytes" is out of range. ${SAFE_RANGE} Received -1` },
  { name: 'nbytes non-integer', call: () => new ControlBlock({ nbytes: 2.5 }), type: RangeError, code: RANGE, message: 'The value of "cb.nbytes" is out of range. It must be an integer. Received 2.5' },
  { name: 'nbytes string', call: () => new ControlBlock({ nbytes: bad('4') }), type: TypeError, code: TYPE, message: 'The "cb.nbytes" property must be of type number. Received type string (\'4\')' },
  { name: 'offset negative', call: () => new ControlBlock({ offset: -1 }), type: RangeError, code: RANGE, message: `The value of "cb.offset" is out of range. ${SAFE_RANGE} Received -1` },
  { name: 'offset > MAX_SAFE_INTEGER', call: () => new ControlBlock({ offset: 2 ** 53 }), type: RangeError, code: RANGE, message: /^The value of "cb\.offset" is out of range\. It must be >= 0 && <= 9007199254740991\. Received 9_?007_?199_?254_?740_?992$/ },
  { name: 'reqprio negative', call: () => new ControlBlock({ reqprio: -1 }), type: RangeError, code: RANGE, message: /^The value of "cb\.reqprio" is out of range\. It must be >= 0 && <= \d+\. Received -1$/ },
  { name: 'reqprio too large', call: () => new ControlBlock({ reqprio: 2 ** 31 }), type: RangeError, code: RANGE, message: /^The value of "cb\.reqprio" is out of range\. It must be >= 0 && <= \d+\./ },
  { name: 'opcode invalid', call: () => new ControlBlock({ opcode: 7 }), type: TypeError, code: VALUE, message: 'The property \'cb.opcode\' must be AIO.LIO_READ, AIO.LIO_WRITE or AIO.LIO_NOP. Received 7' },
  { name: 'opcode string', call: () => new ControlBlock({ opcode: bad('read') }), type: TypeError, code: VALUE, message: 'The property \'cb.opcode\' must be AIO.LIO_READ, AIO.LIO_WRITE or AIO.LIO_NOP. Received \'read\'' },

  // setters
  { name: 'cb.fd = null', call: () => { good().fd = bad(null) }, type: TypeError, code: TYPE, message: 'The "cb.fd" property must be of type number. Received null' },
  { name: 'cb.buffer = {}', call: () => { good().buffer = bad({}) }, type: TypeError, code: TYPE, message: `The "cb.buffer" property ${VIEW} Received an instance of Object` },
  { name: 'cb.nbytes = NaN', call: () => { good().nbytes = NaN }, type: RangeError, code: RANGE, message: 'The value of "cb.nbytes" is out of range. It must be an integer. Received NaN' },
  { name: 'cb.offset = Infinity', call: () => { good().offset = Infinity }, type: RangeError, code: RANGE, message: 'The value of "cb.offset" is out of range. It must be an integer. Received Infinity' },
  { name: 'cb.reqprio = string', call: () => { good().reqprio = bad('1') }, type: TypeError, code: TYPE, message: 'The "cb.reqprio" property must be of type number. Received type string (\'1\')' },
  { name: 'cb.opcode = undefined', call: () => { good().opcode = bad(undefined) }, type: TypeError, code: VALUE, message: 'The property \'cb.opcode\' must be AIO.LIO_READ, AIO.LIO_WRITE or AIO.LIO_NOP. Received undefined' },

  // validate()
  { name: 'validate() with fd unset', call: () => new ControlBlock({ buffer: Buffer.alloc(4) }).validate(), type: RangeError, code: RANGE, message: `The value of "cb.fd" is out of range. ${FD_RANGE} Received -1` },
  { name: 'validate() with buffer missing', call: () => new ControlBlock({ fd }).validate(), type: TypeError, code: TYPE, message: `The "cb.buffer" property ${VIEW} Received null` },
  { name: 'validate() with nbytes > buffer length', call: () => good({ nbytes: 5 }).validate(), type: RangeError, code: RANGE, message: 'The value of "cb.nbytes" is out of range. It must be <= the buffer\'s byte length (4). Received 5' },
  { name: 'validate() counts a Float64Array in bytes', call: () => new ControlBlock({ fd, buffer: new Float64Array(1), nbytes: 9 }).validate(), type: RangeError, code: RANGE, message: 'It must be <= the buffer\'s byte length (8). Received 9' },

  // AIO.read / AIO.write / AIO.fsync with bad blocks
  { name: 'AIO.read(cb) with fd unset', call: () => AIO.read(new ControlBlock({ buffer: Buffer.alloc(4) })), type: RangeError, code: RANGE, message: `The value of "cb.fd" is out of range. ${FD_RANGE} Received -1` },
  { name: 'AIO.read(cb) with nbytes > buffer length', call: () => AIO.read(good({ nbytes: 5 })), type: RangeError, code: RANGE, message: 'It must be <= the buffer\'s byte length (4). Received 5' },
  { name: 'AIO.write(cb) with buffer missing', call: () => AIO.write(new ControlBlock({ fd })), type: TypeError, code: TYPE, message: `The "cb.buffer" property ${VIEW} Received null` },
  { name: 'AIO.fsync(O_SYNC, cb) with fd unset', call: () => AIO.fsync(AIO.O_SYNC, new ControlBlock()), type: RangeError, code: RANGE, message: `The value of "cb.fd" is out of range. ${FD_RANGE} Received -1` },

  // AIO.write(files, options)
  { name: 'AIO.write(string)', call: () => AIO.write(bad('x')), type: TypeError, code: TYPE, message: 'The "files" argument must be of type object. Received type string (\'x\')' },
  { name: 'AIO.write(null)', call: () => AIO.write(bad(null)), type: TypeError, code: TYPE, message: 'The "files" argument must be of type object. Received null' },
  { name: 'AIO.write(array)', call: () => AIO.write(bad([never])), type: TypeError, code: TYPE, message: 'The "files" argument must be of type object. Received an instance of Array' },
  { name: 'AIO.write data number', call: () => AIO.write({ [never]: bad(42) }), type: TypeError, code: TYPE, message: `The "files['${never}']" property must be of type string or an instance of Buffer, TypedArray, or DataView. Received type number (42)` },
  { name: 'AIO.write data null', call: () => AIO.write({ [never]: bad(null) }), type: TypeError, code: TYPE, message: `The "files['${never}']" property must be of type string or an instance of Buffer, TypedArray, or DataView. Received null` },
  { name: 'AIO.write bad data after a good one', call: () => AIO.write({ [never]: 'ok', [never + '2']: bad({}) }), type: TypeError, code: TYPE, message: 'Received an instance of Object' },
  { name: 'AIO.write options string', call: () => AIO.write({ [never]: 'x' }, bad('w')), type: TypeError, code: TYPE, message: 'The "options" argument must be of type object. Received type string (\'w\')' },
  { name: 'AIO.write options.flag', call: () => AIO.write({ [never]: 'x' }, { flag: bad('r') }), type: TypeError, code: VALUE, message: 'The property \'options.flag\' must be \'w\' or \'a\'. Received \'r\'' },
  { name: 'AIO.write options.mode negative', call: () => AIO.write({ [never]: 'x' }, { mode: -1 }), type: RangeError, code: RANGE, message: 'The value of "options.mode" is out of range. It must be >= 0 && <= 4095. Received -1' },
  { name: 'AIO.write options.mode too large', call: () => AIO.write({ [never]: 'x' }, { mode: 0o10000 }), type: RangeError, code: RANGE, message: 'It must be >= 0 && <= 4095. Received 4096' },
  { name: 'AIO.write options.mode string', call: () => AIO.write({ [never]: 'x' }, { mode: bad('644') }), type: TypeError, code: TYPE, message: 'The "options.mode" property must be of type number. Received type string (\'644\')' },
  { name: 'AIO.write options.sync', call: () => AIO.write({ [never]: 'x' }, { sync: bad(true) }), type: TypeError, code: VALUE, message: 'The property \'options.sync\' must be false, \'data\' or \'full\'. Received true' },
  { name: 'AIO.write path with a null byte', call: () => AIO.write({ [never]: 'x', [join(dir, 'a\u0000b')]: 'x' }), type: TypeError, code: VALUE, message: 'The argument \'files\' must be a string without null bytes. Received' },

  // AIO.read(files)
  { name: 'AIO.read(number)', call: () => AIO.read(bad(42)), type: TypeError, code: TYPE, message: 'The "files" argument must be of type object. Received type number (42)' },
  { name: 'AIO.read(string)', call: () => AIO.read(bad(file)), type: TypeError, code: TYPE, message: 'The "files" argument must be of type object. Received type string' },
  { name: 'AIO.read non-string path in array', call: () => AIO.read([file, bad(42)]), type: TypeError, code: TYPE, message: 'The "files[1]" property must be of type string. Received type number (42)' },
  { name: 'AIO.read undefined path in array', call: () => AIO.read([file, bad(undefined)]), type: TypeError, code: TYPE, message: 'The "files[1]" property must be of type string. Received undefined' },
  { name: 'AIO.read path with a null byte', call: () => AIO.read([file, `${file}\u0000`]), type: TypeError, code: VALUE, message: 'The property \'files[1]\' must be a string without null bytes. Received' },
  { name: 'AIO.read request not an object', call: () => AIO.read({ [file]: bad(5) }), type: TypeError, code: TYPE, message: `The "files['${file}']" property must be of type object. Received type number (5)` },
  { name: 'AIO.read request an array', call: () => AIO.read({ [file]: bad([0, 4]) }), type: TypeError, code: TYPE, message: `The "files['${file}']" property must be of type object. Received an instance of Array` },
  { name: 'AIO.read offset negative', call: () => AIO.read({ [file]: { offset: -1 } }), type: RangeError, code: RANGE, message: `The value of "files['${file}'].offset" is out of range. ${SAFE_RANGE} Received -1` },
  { name: 'AIO.read offset string', call: () => AIO.read({ [file]: { offset: bad('0') } }), type: TypeError, code: TYPE, message: `The "files['${file}'].offset" property must be of type number. Received type string ('0')` },
  { name: 'AIO.read length fractional', call: () => AIO.read({ [file]: { length: 1.5 } }), type: RangeError, code: RANGE, message: `The value of "files['${file}'].length" is out of range. It must be an integer. Received 1.5` },
  { name: 'AIO.read length negative', call: () => AIO.read({ [file]: { length: -1 } }), type: RangeError, code: RANGE, message: `The value of "files['${file}'].length" is out of range. It must be >= 0 && <= ${bufferConstants.MAX_LENGTH}. Received -1` },
  { name: 'AIO.read bad request after a good one', call: () => AIO.read({ [file]: {}, [other]: { length: NaN } }), type: RangeError, code: RANGE, message: `The value of "files['${other}'].length" is out of range. It must be an integer. Received NaN` },

  // AIO.fsync(op, cbOrFd)
  { name: 'AIO.fsync bad op', call: () => AIO.fsync(12345, fd), type: TypeError, code: VALUE, message: 'The argument \'op\' must be AIO.O_SYNC or AIO.O_DSYNC. Received 12345' },
  { name: 'AIO.fsync op undefined', call: () => AIO.fsync(bad(undefined), fd), type: TypeError, code: VALUE, message: 'The argument \'op\' must be AIO.O_SYNC or AIO.O_DSYNC. Received undefined' },
  { name: 'AIO.fsync fd negative', call: () => AIO.fsync(AIO.O_DSYNC, -1), type: RangeError, code: RANGE, message: `The value of "cbOrFd" is out of range. ${FD_RANGE} Received -1` },
  { name: 'AIO.fsync fd fractional', call: () => AIO.fsync(AIO.O_SYNC, 1.5), type: RangeError, code: RANGE, message: 'The value of "cbOrFd" is out of range. It must be an integer. Received 1.5' },
  { name: 'AIO.fsync fd string', call: () => AIO.fsync(AIO.O_SYNC, bad('3')), type: TypeError, code: TYPE, message: 'The "cbOrFd" argument must be of type number or an instance of ControlBlock. Received type string (\'3\')' },
  { name: 'AIO.fsync fd object', call: () => AIO.fsync(AIO.O_SYNC, bad({ fd })), type: TypeError, code: TYPE, message: 'The "cbOrFd" argument must be of type number or an instance of ControlBlock. Received an instance of Object' },

  // AIO.error / AIO.return
  { name: 'AIO.error on a never-submitted block', call: () => AIO.error(good()), type: Error, code: STATE, message: 'Invalid state: the control block was never submitted' },
  { name: 'AIO.return on a never-submitted block', call: () => AIO.return(good()), type: Error, code: STATE, message: 'Invalid state: the control block was never submitted' },
  { name: 'AIO.error on a non-block', call: () => AIO.error(bad({})), type: TypeError, code: TYPE, message: 'The "cb" argument must be an instance of ControlBlock. Received an instance of Object' },
  { name: 'AIO.return on null', call: () => AIO.return(bad(null)), type: TypeError, code: TYPE, message: 'The "cb" argument must be an instance of ControlBlock. Received null' },

  // AIO.cancel(fd, cb?)
  { name: 'AIO.cancel fd negative', call: () => AIO.cancel(-1), type: RangeError, code: RANGE, message: `The value of "fd" is out of range. ${FD_RANGE} Received -1` },
  { name: 'AIO.cancel fd string', call: () => AIO.cancel(bad('3')), type: TypeError, code: TYPE, message: 'The "fd" argument must be of type number. Received type string (\'3\')' },
  { name: 'AIO.cancel fd > 2^31-1', call: () => AIO.cancel(2 ** 31), type: RangeError, code: RANGE, message: 'The value of "fd" is out of range. It must be >= 0 && <= 2147483647.' },
  { name: 'AIO.cancel non-block cb', call: () => AIO.cancel(fd, bad({})), type: TypeError, code: TYPE, message: 'The "cb" argument must be an instance of ControlBlock. Received an instance of Object' },
  { name: 'AIO.cancel string cb', call: () => AIO.cancel(fd, bad('cb')), type: TypeError, code: TYPE, message: 'The "cb" argument must be an instance of ControlBlock. Received type string (\'cb\')' },

  // AIO.suspend(list, timeoutMs?)
  { name: 'AIO.suspend(string)', call: () => AIO.suspend(bad('x')), type: TypeError, code: TYPE, message: 'The "list" argument must be an instance of Array. Received type string (\'x\')' },
  { name: 'AIO.suspend(array-like)', call: () => AIO.suspend(bad({ length: 0 })), type: TypeError, code: TYPE, message: 'The "list" argument must be an instance of Array. Received an instance of Object' },
  { name: 'AIO.suspend timeout negative', call: () => AIO.suspend([], -1), type: RangeError, code: RANGE, message: 'The value of "timeoutMs" is out of range. It must be >= 0 && <= 2147483647. Received -1' },
  { name: 'AIO.suspend timeout NaN', call: () => AIO.suspend([], NaN), type: RangeError, code: RANGE, message: 'The value of "timeoutMs" is out of range. It must be >= 0 && <= 2147483647. Received NaN' },
  { name: 'AIO.suspend timeout string', call: () => AIO.suspend([], bad('10')), type: TypeError, code: TYPE, message: 'The "timeoutMs" argument must be of type number. Received type string (\'10\')' },
  { name: 'AIO.suspend never-submitted block', call: () => AIO.suspend([good()]), type: Error, code: STATE, message: 'Invalid state: the control block was never submitted' },
  { name: 'AIO.suspend non-block entry', call: () => AIO.suspend([bad(42)]), type: TypeError, code: TYPE, message: 'The "list[0]" property must be an instance of ControlBlock. Received type number (42)' },

  // AIO.lioListio(mode, list)
  { name: 'AIO.lioListio bad mode', call: () => AIO.lioListio(99, [good()]), type: TypeError, code: VALUE, message: 'The argument \'mode\' must be AIO.LIO_WAIT or AIO.LIO_NOWAIT. Received 99' },
  { name: 'AIO.lioListio mode string', call: () => AIO.lioListio(bad('wait'), [good()]), type: TypeError, code: VALUE, message: 'The argument \'mode\' must be AIO.LIO_WAIT or AIO.LIO_NOWAIT. Received \'wait\'' },
  { name: 'AIO.lioListio non-array', call: () => AIO.lioListio(AIO.LIO_NOWAIT, bad(good())), type: TypeError, code: TYPE, message: 'The "list" argument must be an instance of Array. Received an instance of ControlBlock' },
  { name: 'AIO.lioListio non-block entry', call: () => AIO.lioListio(AIO.LIO_NOWAIT, [good(), bad({})]), type: TypeError, code: TYPE, message: 'The "list[1]" property must be an instance of ControlBlock. Received an instance of Object' },
  {
    name: 'AIO.lioListio same block twice',
    call: () => { const cb = good(); return AIO.lioListio(AIO.LIO_NOWAIT, [cb, good(), cb]) },
    type: TypeError,
    code: VALUE,
    message: 'The property \'list[2]\' is listed twice.'
  },
  { name: 'AIO.lioListio(LIO_WAIT) bad block after a good one', call: () => AIO.lioListio(AIO.LIO_WAIT, [good(), new ControlBlock()]), type: RangeError, code: RANGE, message: `The value of "cb.fd" is out of range. ${FD_RANGE} Received -1` },
  { name: 'AIO.lioListio nbytes > buffer length', call: () => AIO.lioListio(AIO.LIO_NOWAIT, [good(), good({ nbytes: 5 })]), type: RangeError, code: RANGE, message: 'It must be <= the buffer\'s byte length (4). Received 5' },
  { name: 'AIO.lioListio write block without buffer', call: () => AIO.lioListio(AIO.LIO_NOWAIT, [good(), new ControlBlock({ fd, opcode: AIO.LIO_WRITE })]), type: TypeError, code: TYPE, message: `The "cb.buffer" property ${VIEW} Received null` },
  { name: 'AIO.lioListio(LIO_NOWAIT) block with fd unset', call: () => AIO.lioListio(AIO.LIO_NOWAIT, [good(), new ControlBlock({ buffer: Buffer.alloc(4) })]), type: RangeError, code: RANGE, message: `The value of "cb.fd" is out of range. ${FD_RANGE} Received -1` }
]

t.test(`bad inputs throw synchronously and submit nothing (${rows.length} rows)`, async (t) => {
  t.ok(rows.length >= 30, 'at least 30 rows')
  for (const row of rows) await check(t, row)
  t.notOk(existsSync(never), 'no bad AIO.write created a file')
})

t.test('a block in flight', async (t) => {
  const cb = new ControlBlock({ fd, buffer: Buffer.alloc(5) })
  const first = AIO.read(cb)
  t.equal(AIO.error(cb), AIO.EINPROGRESS, 'AIO.error says EINPROGRESS')
  const inFlight: Row[] = [
    { name: 'AIO.read(cb) again', call: () => AIO.read(cb), type: Error, code: STATE, message: 'Invalid state: the control block is already in flight' },
    { name: 'AIO.write(cb) while reading', call: () => AIO.write(cb), type: Error, code: STATE, message: 'Invalid state: the control block is already in flight' },
    { name: 'AIO.fsync(O_SYNC, cb)', call: () => AIO.fsync(AIO.O_SYNC, cb), type: Error, code: STATE, message: 'Invalid state: the control block is already in flight' },
    { name: 'AIO.lioListio with the block', call: () => AIO.lioListio(AIO.LIO_NOWAIT, [good(), cb]), type: Error, code: STATE, message: 'Invalid state: the control block is already in flight' },
    { name: 'cb.validate()', call: () => cb.validate(), type: Error, code: STATE, message: 'Invalid state: the control block is already in flight' },
    { name: 'cb.reset()', call: () => cb.reset(), type: Error, code: STATE, message: 'Invalid state: cannot reset a control block that is in flight' },
    { name: 'cb.fd = fd', call: () => { cb.fd = fd }, type: Error, code: STATE, message: 'Invalid state: cannot change a control block while it is in flight' },
    { name: 'cb.buffer = other buffer', call: () => { cb.buffer = Buffer.alloc(1) }, type: Error, code: STATE, message: 'Invalid state: cannot change a control block while it is in flight' },
    { name: 'cb.nbytes = 1', call: () => { cb.nbytes = 1 }, type: Error, code: STATE, message: 'Invalid state: cannot change a control block while it is in flight' },
    { name: 'AIO.cancel with another fd', call: () => AIO.cancel(otherFd, cb), type: TypeError, code: VALUE, message: `The argument 'fd' does not match the control block's fd (${fd}). Received ${otherFd}` }
  ]
  for (const row of inFlight) await check(t, row)
  // AIO.return throws while in progress.
  t.throws(() => AIO.return(cb), { errno: -AIO.EINPROGRESS, code: 'EINPROGRESS', syscall: 'aio_return', message: /^EINPROGRESS: / },
    'AIO.return throws EINPROGRESS while in flight')
  t.equal(cb.fd, fd, 'the fd was not changed')
  t.equal(cb.nbytes, 5, 'nbytes was not changed')
  t.equal(await first, 5, 'the first read completes')
  t.equal(AIO.error(cb), 0, 'then AIO.error is 0')
  t.equal(AIO.return(cb), 5, 'and AIO.return is the bytes')
  t.equal(Buffer.from(cb.buffer as Uint8Array).toString(), 'hello', 'with the data')
  t.equal(cb.reset(), cb, 'and reset() works')
})

// Holes in arrays are entries that are undefined: lioListio skips them like
// null, AIO.read rejects them like an undefined path.
t.test('holes in lists', async (t) => {
  const cb = good()
  const before = counts()
  // eslint-disable-next-line no-sparse-arrays
  const holey = [, cb]
  let outcome: unknown
  try {
    outcome = await AIO.lioListio(AIO.LIO_NOWAIT, holey)
  } catch (error) {
    outcome = error
  }
  t.same(outcome, [0, 4], 'lioListio([<hole>, cb]) skips the hole like null')
  t.equal(counts().submitted - before.submitted, 1, 'only the block is submitted')
  const beforeRead = counts()
  t.throws(() => {
    // eslint-disable-next-line no-sparse-arrays
    void AIO.read([, file] as string[])
  }, { name: 'TypeError', code: TYPE, message: 'The "files[0]" property must be of type string. Received undefined' },
  'AIO.read([<hole>, path]) throws like AIO.read([undefined, path])')
  t.same(counts(), beforeRead, 'AIO.read([<hole>, path]) submits nothing')
})

// Nothing a caller passes crashes the process: each weird value as each
// argument of each public call throws an Error synchronously or returns
// (a promise is awaited: a rejection must be an Error).
t.test('weird values never crash', async (t) => {
  const detached = <T extends ArrayBufferView>(view: T): T => {
    structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] })
    return view
  }
  const weird: Array<[string, () => unknown]> = [
    ['undefined', () => undefined],
    ['null', () => null],
    ['NaN', () => NaN],
    ['Infinity', () => Infinity],
    ['-0', () => -0],
    ['2**53', () => 2 ** 53],
    ["'str'", () => 'str'],
    ['Symbol()', () => Symbol('weird')],
    ['{}', () => ({})],
    ['[]', () => []],
    ['() => {}', () => () => {}],
    ['1n', () => 1n],
    ['new Uint8Array(0)', () => new Uint8Array(0)],
    ['Object.create(null)', () => Object.create(null)],
    ['detached Float64Array', () => detached(new Float64Array(2))],
    ['detached DataView', () => detached(new DataView(new ArrayBuffer(8)))]
  ]
  const target = join(dir, 'weird.txt')
  // Each public call with one argument replaced by the weird value `v`.
  const calls: Array<[string, (v: never) => unknown]> = [
    ['new ControlBlock(v)', (v) => new ControlBlock(v)],
    ['new ControlBlock({ fd: v })', (v) => new ControlBlock({ fd: v, buffer: Buffer.alloc(4) }).validate()],
    ['new ControlBlock({ buffer: v })', (v) => new ControlBlock({ fd, buffer: v }).validate()],
    ['new ControlBlock({ nbytes: v })', (v) => new ControlBlock({ fd, buffer: Buffer.alloc(4), nbytes: v }).validate()],
    ['new ControlBlock({ offset: v })', (v) => new ControlBlock({ fd, buffer: Buffer.alloc(4), offset: v }).validate()],
    ['new ControlBlock({ reqprio: v })', (v) => new ControlBlock({ fd, buffer: Buffer.alloc(4), reqprio: v }).validate()],
    ['new ControlBlock({ opcode: v })', (v) => new ControlBlock({ fd, buffer: Buffer.alloc(4), opcode: v }).validate()],
    ['cb.fd = v', (v) => { good().fd = v }],
    ['cb.buffer = v', (v) => { good().buffer = v }],
    ['cb.nbytes = v', (v) => { good().nbytes = v }],
    ['cb.offset = v', (v) => { good().offset = v }],
    ['cb.reqprio = v', (v) => { good().reqprio = v }],
    ['cb.opcode = v', (v) => { good().opcode = v }],
    // A block whose buffer is v, submitted on the real file (fd never weird).
    ['AIO.read(cb with buffer v)', (v) => AIO.read(new ControlBlock({ fd, buffer: v }))],
    ['AIO.write(cb with buffer v)', (v) => AIO.write(new ControlBlock({ fd: otherFd, buffer: v }))],
    ['AIO.read(v)', (v) => AIO.read(v)],
    ['AIO.read([v])', (v) => AIO.read([v])],
    ['AIO.read({ path: v })', (v) => AIO.read({ [file]: v })],
    ['AIO.read({ path: { offset: v } })', (v) => AIO.read({ [file]: { offset: v } })],
    ['AIO.read({ path: { length: v } })', (v) => AIO.read({ [file]: { length: v } })],
    ['AIO.write(v)', (v) => AIO.write(v)],
    ['AIO.write({ path: v })', (v) => AIO.write({ [target]: v })],
    ['AIO.write(files, v)', (v) => AIO.write({ [target]: 'x' }, v)],
    ['AIO.write(files, { flag: v })', (v) => AIO.write({ [target]: 'x' }, { flag: v })],
    ['AIO.write(files, { mode: v })', (v) => AIO.write({ [target]: 'x' }, { mode: v })],
    ['AIO.write(files, { sync: v })', (v) => AIO.write({ [target]: 'x' }, { sync: v })],
    ['AIO.fsync(v, fd)', (v) => AIO.fsync(v, fd)],
    ['AIO.fsync(O_DSYNC, v)', (v) => AIO.fsync(AIO.O_DSYNC, v)],
    ['AIO.error(v)', (v) => AIO.error(v)],
    ['AIO.return(v)', (v) => AIO.return(v)],
    ['AIO.cancel(v)', (v) => AIO.cancel(v)],
    ['AIO.cancel(fd, v)', (v) => AIO.cancel(fd, v)],
    ['AIO.suspend(v)', (v) => AIO.suspend(v)],
    ['AIO.suspend([v])', (v) => AIO.suspend([v])],
    ['AIO.suspend([], v)', (v) => AIO.suspend([], v)],
    ['AIO.lioListio(v, [])', (v) => AIO.lioListio(v, [])],
    ['AIO.lioListio(LIO_NOWAIT, v)', (v) => AIO.lioListio(AIO.LIO_NOWAIT, v)],
    ['AIO.lioListio(LIO_WAIT, v)', (v) => AIO.lioListio(AIO.LIO_WAIT, v)],
    ['AIO.lioListio(LIO_NOWAIT, [v])', (v) => AIO.lioListio(AIO.LIO_NOWAIT, [v])]
  ]
  // Synchronous throws that carry no ERR_* code (reported, not fatal).
  const uncoded: string[] = []
  for (const [callName, call] of calls) {
    const failures: string[] = []
    for (const [valueName, make] of weird) {
      const label = `${callName} with v = ${valueName}`
      let returned: unknown
      try {
        returned = call(make() as never)
      } catch (error) {
        if (!(error instanceof Error)) failures.push(`${label}: threw a non-Error`)
        else if (!/^ERR_/.test(String((error as { code?: unknown }).code))) uncoded.push(`${label}: ${error.message}`)
        continue
      }
      if (returned instanceof Promise) {
        try {
          await returned
        } catch (error) {
          if (!(error instanceof Error)) failures.push(`${label}: rejected with a non-Error`)
        }
      }
    }
    t.same(failures, [], `${callName}: throws an Error or settles`)
  }
  t.same(uncoded, [], 'every synchronous throw carries an ERR_* code, detached views included')
  t.equal(AIO.stats().inFlight, 0, 'nothing left in flight')
})

t.test('views whose length can change are refused, everywhere a buffer is taken', async (t) => {
  const { open, LogWriter } = await import('../lib/index')
  const dir = mkdtempSync(join(tmpdir(), 'posix-aio-resizable-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'file')
  writeFileSync(path, Buffer.alloc(64, 1))
  const fh = await open(path, 'r+')
  t.teardown(() => fh.close())
  const writer = new LogWriter({ dest: join(dir, 'log') })
  t.teardown(() => writer.destroy())
  const Resizable = ArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => ArrayBuffer
  const Growable = SharedArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => SharedArrayBuffer
  const views: Array<[string, ArrayBufferView]> = [
    ['a Uint8Array of a resizable ArrayBuffer', new Uint8Array(new Resizable(64, { maxByteLength: 4096 }))],
    ['a length-tracking Int32Array of one', new Int32Array(new Resizable(64, { maxByteLength: 4096 }), 4)],
    ['a DataView of one', new DataView(new Resizable(64, { maxByteLength: 4096 }))],
    ['a Buffer of a growable SharedArrayBuffer', Buffer.from(new Growable(64, { maxByteLength: 4096 }))]
  ]
  // Each as a synchronous throw or a rejection: either way, before any IO.
  const refused = async (what: string, call: () => unknown): Promise<void> => {
    let error: unknown
    try {
      await call()
    } catch (caught) {
      error = caught
    }
    t.match(error, { code: 'ERR_INVALID_ARG_TYPE', message: /fixed length.*could change length/ }, what)
  }
  for (const [name, view] of views) {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
    await refused(`fh.read(${name})`, () => fh.read(view, 0, 8, 0))
    await refused(`fh.read({ buffer: ${name} })`, () => fh.read({ buffer: view }))
    await refused(`fh.write(${name})`, () => fh.write(view))
    await refused(`fh.readv([${name}])`, () => fh.readv([view], 0))
    await refused(`fh.writev([${name}])`, () => fh.writev([view], 0))
    await refused(`new ControlBlock({ buffer: ${name} })`, () => new ControlBlock({ fd: fh.fd, buffer: view }))
    await refused(`AIO.write({ path: ${name} })`, () => AIO.write({ [join(dir, 'never')]: view }))
    await refused(`LogWriter.write(${name})`, () => writer.write(bytes))
  }
  t.notOk(existsSync(join(dir, 'never')), 'nothing was written')
  t.same(await fh.read(Buffer.alloc(64), 0, 64, 0).then((r) => r.buffer), Buffer.alloc(64, 1), 'the file is untouched')
  // A SharedArrayBuffer of fixed length is ordinary memory.
  const shared = Buffer.from(new SharedArrayBuffer(64))
  t.equal((await fh.read(shared, 0, 64, 0)).bytesRead, 64)
})
