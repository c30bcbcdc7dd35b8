import assert from 'node:assert/strict'
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { END_MARKER, START_MARKER, applyInstructionBlock, disableProjectFiles, initProjectFiles, removeInstructionBlock, renderInstructionBlock } from '../lib/project/instructions.js'
import { ROOT, tempDir } from './support/helpers.js'

const FIXTURES = join(ROOT, 'fixtures', 'instructions')
const posixOnly = process.platform === 'win32' ? 'file modes are POSIX' : false
const BOM = '\uFEFF'

function read(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8')
}

function count(text: string, part: string): number {
  return text.split(part).length - 1
}

function assertThrowsCode(fn: () => unknown, code: string, line?: number): void {
  assert.throws(fn, (error: { code?: string; data?: { line?: number } }) => error.code === code && (line === undefined || error.data?.line === line))
}

test('the block has the markers, at most 25 lines and every point an agent needs (docs/cli.md#init)', () => {
  const block = renderInstructionBlock()
  const lines = block.split('\n')
  assert.ok(lines.length <= 25)
  assert.equal(lines[0], START_MARKER)
  assert.equal(lines.at(-1), END_MARKER)
  for (const point of [
    'lockstep-mcp',
    'coordination_init',
    'planner',
    'implementer',
    '`instruction`',
    'task_claim_next',
    'lock',
    'review',
    'worktree',
    'own branch',
    '.lockstep/',
    'does not edit code',
    'not to use lockstep',
    'lockstep-mcp help',
  ]) {
    assert.ok(block.includes(point), point)
  }
})

test('a missing file is created holding only the block', () => {
  assert.deepEqual(applyInstructionBlock(null), { text: renderInstructionBlock() + '\n', action: 'created' })
})

test('a file without the block gets it after one blank line, other bytes unchanged', () => {
  const plain = read('AGENTS-plain.md')
  const once = applyInstructionBlock(plain)
  assert.equal(once.action, 'updated')
  assert.equal(once.text, plain + '\n\n' + renderInstructionBlock() + '\n')
  const endsWithBlank = 'text\n\n'
  assert.equal(applyInstructionBlock(endsWithBlank).text, endsWithBlank + renderInstructionBlock() + '\n')
  assert.deepEqual(applyInstructionBlock(once.text), { text: once.text, action: 'unchanged' })
})

test('an outdated block is replaced in place', () => {
  const original = read('AGENTS-outdated-block.md')
  const result = applyInstructionBlock(original)
  assert.equal(result.action, 'updated')
  const start = original.indexOf(START_MARKER)
  const after = original.slice(original.indexOf(END_MARKER) + END_MARKER.length)
  assert.equal(result.text, original.slice(0, start) + renderInstructionBlock() + after)
})

test('CRLF line endings and a BOM are kept', () => {
  const original = read('CLAUDE-crlf-bom.md')
  const result = applyInstructionBlock(original)
  assert.ok(result.text.startsWith(BOM))
  assert.equal(count(result.text, BOM), 1)
  assert.ok(result.text.startsWith(original))
  assert.ok(!/[^\r]\n/.test(result.text))
  assert.equal(applyInstructionBlock(result.text).action, 'unchanged')
  assert.deepEqual(removeInstructionBlock(result.text), { text: original, action: 'removed' })
})

test('malformed markers are refused with the file line', () => {
  assertThrowsCode(() => applyInstructionBlock(read('markers-start-only.md')), 'CONFLICT', 3)
  assertThrowsCode(() => applyInstructionBlock(read('markers-two-blocks.md')), 'CONFLICT', 9)
  assertThrowsCode(() => applyInstructionBlock(read('markers-end-before-start.md')), 'CONFLICT', 3)
  assertThrowsCode(() => removeInstructionBlock(read('markers-two-blocks.md')), 'CONFLICT', 9)
})

test('force replaces from the first start marker to the last end marker, or to the end of the file', () => {
  const block = renderInstructionBlock()
  const two = read('markers-two-blocks.md')
  assert.equal(applyInstructionBlock(two, { force: true }).text, '# Notes\n\n' + block + '\n\n## Tail\n')
  const open = read('markers-start-only.md')
  assert.equal(applyInstructionBlock(open, { force: true }).text, '# Notes\n\n' + block + '\n')
  const reversed = applyInstructionBlock(read('markers-end-before-start.md'), { force: true }).text
  assert.equal(reversed, '# Notes\n\nstray text\n' + block + '\n')
  for (const text of [two, open, reversed]) {
    const fixed = applyInstructionBlock(applyInstructionBlock(text, { force: true }).text)
    assert.equal(fixed.action, 'unchanged')
  }
})

test('removing the block takes its markers and one adjacent blank line', () => {
  for (const original of [read('AGENTS-plain.md') + '\n', '# Title\n', '', 'no newline at end']) {
    const withBlock = applyInstructionBlock(original).text
    const removed = removeInstructionBlock(withBlock)
    assert.equal(removed.action, 'removed')
    assert.equal(removed.text, original.endsWith('\n') || original === '' ? original : original + '\n')
  }
  const top = renderInstructionBlock() + '\n\n# Title\n'
  assert.equal(removeInstructionBlock(top).text, '# Title\n')
  assert.deepEqual(removeInstructionBlock('# Title\n'), { text: '# Title\n', action: 'not present' })
  const outdated = read('AGENTS-outdated-block.md')
  assert.equal(removeInstructionBlock(outdated).text, '# Agents guide\n\nRead `docs/architecture.md` first.\n\n## Testing\n\nRun `make test` before you hand work back.\n')
})

test('initProjectFiles writes both files and .lockstep/, and a second run changes nothing', { skip: posixOnly }, async (t) => {
  const root = tempDir(t)
  const first = await initProjectFiles(root, { renderState: () => '{\n  "schemaVersion": 1\n}\n' })
  assert.deepEqual(first, [
    { file: 'CLAUDE.md', action: 'created' },
    { file: 'AGENTS.md', action: 'created' },
    { file: 'GEMINI.md', action: 'created' },
    { file: '.lockstep/.gitignore', action: 'created' },
    { file: '.lockstep/state.json', action: 'created' },
  ])
  for (const file of ['CLAUDE.md', 'AGENTS.md', 'GEMINI.md']) {
    assert.equal(readFileSync(join(root, file), 'utf8'), renderInstructionBlock('\n', file) + '\n')
    assert.equal(statSync(join(root, file)).mode & 0o777, 0o644)
  }
  assert.deepEqual(
    readFileSync(join(root, '.lockstep', '.gitignore'), 'utf8')
      .trim()
      .split('\n'),
    ['worktrees/', '*.lock', '*.tmp'],
  )
  const mtime = statSync(join(root, 'CLAUDE.md')).mtimeMs
  const second = await initProjectFiles(root, { renderState: () => '{\n  "schemaVersion": 1\n}\n' })
  assert.ok(second.every((report) => report.action === 'unchanged'))
  assert.equal(statSync(join(root, 'CLAUDE.md')).mtimeMs, mtime)
})

test('initProjectFiles keeps existing files and writes nothing when one has malformed markers', async (t) => {
  const root = tempDir(t)
  copyFileSync(join(FIXTURES, 'CLAUDE-crlf-bom.md'), join(root, 'CLAUDE.md'))
  copyFileSync(join(FIXTURES, 'markers-two-blocks.md'), join(root, 'AGENTS.md'))
  const claude = readFileSync(join(root, 'CLAUDE.md'))
  await assert.rejects(initProjectFiles(root), (error: { code?: string }) => error.code === 'CONFLICT')
  assert.deepEqual(readFileSync(join(root, 'CLAUDE.md')), claude)
  assert.ok(!existsSync(join(root, '.lockstep')))
  const forced = await initProjectFiles(root, { force: true })
  assert.deepEqual(
    forced.map((report) => report.action),
    ['updated', 'updated', 'created', 'created'],
  )
  assert.ok(readFileSync(join(root, 'CLAUDE.md'), 'utf8').startsWith(BOM + '# Shop API\r\n'))
  assert.equal(count(readFileSync(join(root, 'AGENTS.md'), 'utf8'), START_MARKER), 1)
})

test('disableProjectFiles removes the blocks, keeps the files and .lockstep/', async (t) => {
  const root = tempDir(t)
  const plain = read('AGENTS-plain.md')
  writeFileSync(join(root, 'AGENTS.md'), plain)
  await initProjectFiles(root)
  const removed = await disableProjectFiles(root)
  assert.deepEqual(removed, [
    { file: 'CLAUDE.md', action: 'removed' },
    { file: 'AGENTS.md', action: 'removed' },
    { file: 'GEMINI.md', action: 'removed' },
  ])
  assert.equal(readFileSync(join(root, 'CLAUDE.md'), 'utf8'), '')
  assert.equal(readFileSync(join(root, 'AGENTS.md'), 'utf8'), plain + '\n')
  assert.ok(existsSync(join(root, '.lockstep', '.gitignore')))
  const again = await disableProjectFiles(root)
  assert.ok(again.every((report) => report.action === 'not present'))
  const empty = tempDir(t)
  assert.ok((await disableProjectFiles(empty)).every((report) => report.action === 'not present'))
  assert.ok(!existsSync(join(empty, 'CLAUDE.md')))
})

test('CLAUDE.md and GEMINI.md import AGENTS.md instead of repeating its text, so a client reading all three reads it once', () => {
  const full = renderInstructionBlock()
  for (const [file, line] of [
    ['CLAUDE.md', '@AGENTS.md'],
    ['GEMINI.md', '@./AGENTS.md'],
  ] as const) {
    const block = renderInstructionBlock('\n', file)
    const lines = block.split('\n')
    assert.equal(lines[0], START_MARKER)
    assert.equal(lines.at(-1), END_MARKER)
    assert.ok(lines.includes(line), file)
    assert.ok(!block.includes('task_claim_next'), `${file} does not repeat the instructions`)
  }
  assert.ok(full.includes('task_claim_next'))
})
