// fs.Stats from the engine's fstat fields (native/op.h, kFstatFields).
import { Stats } from 'node:fs'

// Built the way fs builds them (lib/internal/fs/utils.js getStatsFromBinding),
// so every field equals fs.fstat's and the methods are fs.Stats' own.
export function toStats (fields: Float64Array): Stats {
  const ms = (at: number): number => fields[at] * 1e3 + fields[at + 1] / 1e6
  const stats = Object.create(Stats.prototype) as Stats
  Object.assign(stats, {
    dev: fields[0],
    mode: fields[1],
    nlink: fields[2],
    uid: fields[3],
    gid: fields[4],
    rdev: fields[5],
    blksize: fields[6],
    ino: fields[7],
    size: fields[8],
    blocks: fields[9],
    atimeMs: ms(10),
    mtimeMs: ms(12),
    ctimeMs: ms(14),
    birthtimeMs: ms(16)
  })
  stats.atime = new Date(Math.round(stats.atimeMs))
  stats.mtime = new Date(Math.round(stats.mtimeMs))
  stats.ctime = new Date(Math.round(stats.ctimeMs))
  stats.birthtime = new Date(Math.round(stats.birthtimeMs))
  return stats
}
