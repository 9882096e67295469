'use strict'
// The bench's report: bench/results.md (a table per scenario and the
// machine it ran on) and bench/results.svg (the same ratios as a bar chart,
// drawn as plain SVG text, so no browser is needed).
const { execFileSync } = require('node:child_process')
const { statfsSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const os = require('node:os')

// statfs f_type magic numbers of the filesystems a bench is likely to meet.
const FILESYSTEMS = {
  0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs',
  0x2fc12fc1: 'zfs', 0x794c7630: 'overlayfs', 0xf2f52010: 'f2fs'
}

function filesystemOf (dir) {
  try {
    const type = statfsSync(dir).type
    return FILESYSTEMS[type] || `filesystem 0x${type.toString(16)}`
  } catch {
    return 'unknown filesystem'
  }
}

function commitOf () {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

/** What the figures depend on: the machine, the software, where the files were. */
function machine (dir, engines) {
  const cpus = os.cpus()
  return {
    cores: cpus.length,
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown CPU',
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    kernel: os.release(),
    node: process.version,
    libuv: process.versions.uv,
    filesystem: filesystemOf(dir),
    engines,
    commit: commitOf(),
    date: new Date().toISOString().slice(0, 10)
  }
}

const number = (value) => Math.round(value).toLocaleString('en-US')
const ratio = (value) => Number.isNaN(value) ? '' : `${value.toFixed(2)}×`

function markdownOf (results, info) {
  const lines = [
    '# posix-aio bench results',
    '',
    `${info.quick ? 'Quick' : 'Full'} run (\`npm run bench${info.quick ? ' -- --quick' : ''}\`) on ${info.date}, ${info.seconds} s` +
      (info.commit ? `, commit ${info.commit}` : '') + '.',
    '',
    `- machine: ${info.cores} × ${info.cpu}, ${info.memory}`,
    `- Linux ${info.kernel}, Node.js ${info.node}, libuv ${info.libuv}`,
    `- files on ${info.filesystem}; posix-aio engines here: ${info.engines.join(', ')}`,
    '',
    'Contenders take turns and each figure is the median of its rounds; a ratio is to the row named in its',
    'table\'s header, measured in the same run. fio runs after the Node.js contenders, as the machine\'s limit;',
    'for many-files that limit is plain C (bench/limits/create_files.c), taking turns with the others.',
    ''
  ]
  if (!info.fio) {
    lines.push('fio is not installed, so the machine\'s limit is missing: `apt-get install fio` (Debian, Ubuntu) or',
      '`dnf install fio` adds it.', '')
  }
  for (const r of results) {
    lines.push(`## ${r.title}`, '', `| contender | ${r.unit} | ratio to ${r.baseName} |`, '|---|---:|---:|')
    for (const row of r.rows) lines.push(`| ${row.name} | ${number(row.value)} | ${ratio(row.ratio)} |`)
    lines.push('')
    if (r.note) lines.push(r.note, '')
  }
  return lines.join('\n')
}

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

// One panel per scenario: a bar per contender, its length the ratio to the
// scenario's peer (a dashed line marks 1×), its label the figure.
function svgOf (results, info) {
  const width = 900
  const labelWidth = 300
  const barArea = width - labelWidth - 210
  const barHeight = 16
  const gap = 4
  const parts = []
  let y = 66
  for (const r of results) {
    const rows = r.rows
    const top = Math.max(1, ...rows.map((row) => Number.isNaN(row.ratio) ? 0 : row.ratio))
    const scale = barArea / top
    parts.push(`<text x="10" y="${y}" class="title">${escape(r.title)}</text>`)
    y += 10
    const panelTop = y
    for (const row of rows) {
      const value = Number.isNaN(row.ratio) ? 0 : row.ratio
      const ours = row.name.startsWith('posix-aio') || row.name.startsWith('LogWriter')
      const peer = row.name === r.baseName
      const limit = row.name.startsWith('fio') || row.name.startsWith('C ')
      const cls = ours ? 'ours' : peer ? 'peer' : limit ? 'fio' : 'other'
      parts.push(`<text x="${labelWidth - 8}" y="${y + barHeight - 4}" class="label">${escape(row.name)}</text>`)
      parts.push(`<rect x="${labelWidth}" y="${y}" width="${Math.max(1, value * scale).toFixed(1)}" height="${barHeight}" class="${cls}"/>`)
      parts.push(`<text x="${labelWidth + value * scale + 6}" y="${y + barHeight - 4}" class="value">${ratio(row.ratio)} · ${number(row.value)} ${escape(r.unit)}</text>`)
      y += barHeight + gap
    }
    parts.push(`<line x1="${labelWidth + scale}" y1="${panelTop - 2}" x2="${labelWidth + scale}" y2="${y}" class="one"/>`)
    y += 30
  }
  const header = [
    `posix-aio bench, ${info.quick ? 'quick' : 'full'} run, ${info.date}: ${info.cores} cores, Linux ${info.kernel}, ` +
      `Node.js ${info.node}, libuv ${info.libuv}, files on ${info.filesystem}.`,
    'Bars: each contender\'s ratio to the scenario\'s peer (orange; the dashed line is 1×), then its figure.'
  ]
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif" font-size="12">`,
    '<style>.title{font-weight:bold;font-size:13px}.label{text-anchor:end}.value{fill:#333}' +
      '.ours{fill:#2b7bb9}.peer{fill:#e07b39}.fio{fill:#999}.other{fill:#c9a227}.one{stroke:#444;stroke-dasharray:4 3}</style>',
    '<rect width="100%" height="100%" fill="white"/>',
    ...header.map((line, i) => `<text x="10" y="${20 + 16 * i}">${escape(line)}</text>`),
    ...parts,
    '</svg>',
    ''
  ].join('\n')
}

/** Writes bench/results.md and bench/results.svg; returns the markdown and the paths. */
function writeReport (results, info) {
  const markdown = markdownOf(results, info)
  const files = [join(__dirname, 'results.md'), join(__dirname, 'results.svg')]
  writeFileSync(files[0], markdown)
  writeFileSync(files[1], svgOf(results, info))
  return { markdown, files }
}

module.exports = { machine, writeReport }
