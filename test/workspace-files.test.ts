import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { readFileSafe, writeFileAtomic, type WriteFileRequest } from '../lib/workspace/files.js'
import { tempDir } from './support/helpers.js'

const posixOnly = process.platform === 'win32' ? 'file modes are POSIX' : false

function write(absPath: string, content: string, extra: Partial<WriteFileRequest> = {}) {
  return writeFileAtomic({ absPath, content, encoding: 'utf8', mode: 'overwrite', createDirs: false, ...extra })
}

async function assertCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => error.code === code)
}

test('readFileSafe returns the whole file when it fits', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'a.txt'), 'héllo')
  const read = await readFileSafe({ absPath: join(dir, 'a.txt'), encoding: 'utf8', maxBytes: 1024, binary: false })
  assert.deepEqual(read, { bytes: 6, truncated: false, encoding: 'utf8', content: 'héllo' })
})

test('readFileSafe never reads past maxBytes and reports the full size', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'big.txt'), 'x'.repeat(10_000))
  const read = await readFileSafe({ absPath: join(dir, 'big.txt'), encoding: 'utf8', maxBytes: 100, binary: false })
  assert.equal(read.bytes, 10_000)
  assert.equal(read.truncated, true)
  assert.equal(read.content, 'x'.repeat(100))
})

test('readFileSafe with binary returns base64 whatever the encoding asked', async (t) => {
  const dir = tempDir(t)
  const data = Buffer.from([0, 1, 2, 250, 255])
  writeFileSync(join(dir, 'b.bin'), data)
  const read = await readFileSafe({ absPath: join(dir, 'b.bin'), encoding: 'utf8', maxBytes: 3, binary: true })
  assert.equal(read.encoding, 'base64')
  assert.equal(read.truncated, true)
  assert.deepEqual(Buffer.from(read.content, 'base64'), data.subarray(0, 3))
})

test('readFileSafe decodes hex and latin1', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'c.bin'), Buffer.from([0xca, 0xfe, 0xe9]))
  const hex = await readFileSafe({ absPath: join(dir, 'c.bin'), encoding: 'hex', maxBytes: 10, binary: false })
  assert.equal(hex.content, 'cafee9')
  const latin1 = await readFileSafe({ absPath: join(dir, 'c.bin'), encoding: 'latin1', maxBytes: 10, binary: false })
  assert.equal(latin1.content, '\u00ca\u00fe\u00e9')
})

test('readFileSafe gives NOT_FOUND for a missing file and INVALID_INPUT for a directory', async (t) => {
  const dir = tempDir(t)
  await assertCode(readFileSafe({ absPath: join(dir, 'missing.txt'), encoding: 'utf8', maxBytes: 10, binary: false }), 'NOT_FOUND')
  await assertCode(readFileSafe({ absPath: dir, encoding: 'utf8', maxBytes: 10, binary: false }), 'INVALID_INPUT')
})

test('writeFileAtomic creates a file and then replaces it, leaving no temp files', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'a.txt')
  assert.deepEqual(await write(file, 'one'), { bytes: 3, created: true })
  assert.deepEqual(await write(file, 'twö'), { bytes: 4, created: false })
  assert.equal(readFileSync(file, 'utf8'), 'twö')
  assert.deepEqual(readdirSync(dir), ['a.txt'])
})

test('writeFileAtomic overwrite keeps the existing file mode', { skip: posixOnly }, async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'script.sh')
  writeFileSync(file, 'old')
  chmodSync(file, 0o751)
  await write(file, 'new')
  assert.equal(statSync(file).mode & 0o7777, 0o751)
  assert.equal(readFileSync(file, 'utf8'), 'new')
})

test('writeFileAtomic append adds to the end and creates a missing file', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'log.txt')
  assert.deepEqual(await write(file, 'a\n', { mode: 'append' }), { bytes: 2, created: true })
  assert.deepEqual(await write(file, 'b\n', { mode: 'append' }), { bytes: 2, created: false })
  assert.equal(readFileSync(file, 'utf8'), 'a\nb\n')
})

test('concurrent appends all land', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'log.txt')
  await Promise.all(Array.from({ length: 50 }, (_, i) => write(file, `line ${i}\n`, { mode: 'append' })))
  assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 50)
})

test('writeFileAtomic decodes base64 content and allows an empty file', async (t) => {
  const dir = tempDir(t)
  const data = Buffer.from([0, 255, 1])
  assert.equal((await write(join(dir, 'b.bin'), data.toString('base64'), { encoding: 'base64' })).bytes, 3)
  assert.deepEqual(readFileSync(join(dir, 'b.bin')), data)
  assert.equal((await write(join(dir, 'empty.txt'), '')).bytes, 0)
  assert.equal(readFileSync(join(dir, 'empty.txt'), 'utf8'), '')
})

test('writeFileAtomic refuses a missing parent unless createDirs is set', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'a', 'b', 'c.txt')
  await assertCode(write(file, 'x'), 'NOT_FOUND')
  assert.deepEqual(readdirSync(dir), [])
  assert.deepEqual(await write(file, 'x', { createDirs: true }), { bytes: 1, created: true })
  assert.equal(readFileSync(file, 'utf8'), 'x')
})

test('writeFileAtomic refuses a directory target and a file used as a folder', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'sub'))
  writeFileSync(join(dir, 'plain.txt'), 'p')
  await assertCode(write(join(dir, 'sub'), 'x'), 'INVALID_INPUT')
  await assertCode(write(join(dir, 'sub'), 'x', { mode: 'append' }), 'INVALID_INPUT')
  await assertCode(write(join(dir, 'plain.txt', 'child.txt'), 'x', { createDirs: true }), 'INVALID_INPUT')
  assert.equal(readFileSync(join(dir, 'plain.txt'), 'utf8'), 'p')
})
