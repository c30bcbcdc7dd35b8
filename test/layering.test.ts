import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ROOT } from './helpers.js'

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [full] : []
  })
}

const ADAPTER_IMPORT = /from\s+['"](@modelcontextprotocol\/|clipanion|polka|sirv)/
const ADAPTER_FOLDERS = ['lib/mcp/', 'lib/dashboard/']
const PRINTING = /\bconsole\.\w+\(|process\.stdout|process\.exit\(/

test('lib/ and storage/ import no adapter library outside their adapter folders, and never print or exit', () => {
  const offenders: string[] = []
  for (const file of [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'storage'))]) {
    const rel = relative(ROOT, file).replaceAll('\\', '/')
    const text = readFileSync(file, 'utf8')
    if (ADAPTER_IMPORT.test(text) && !ADAPTER_FOLDERS.some((folder) => rel.startsWith(folder))) offenders.push(`${rel}: adapter import`)
    if (PRINTING.test(text)) offenders.push(`${rel}: prints or exits`)
    if (/from\s+['"]\.\.\/(\.\.\/)?bin\//.test(text)) offenders.push(`${rel}: imports bin/`)
  }
  assert.deepEqual(offenders, [])
})

test('storage/ does not depend on the domain beyond the error type', () => {
  const offenders = sources(join(ROOT, 'storage')).filter((file) =>
    [...readFileSync(file, 'utf8').matchAll(/from\s+['"]\.\.\/lib\/([\w/-]+)\.js['"]/g)].some((match) => match[1] !== 'errors'),
  )
  assert.deepEqual(offenders.map((file) => relative(ROOT, file)), [])
})

test('no source file is over 400 lines', () => {
  const long = [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'storage')), ...sources(join(ROOT, 'bin'))]
    .map((file) => [relative(ROOT, file), readFileSync(file, 'utf8').split('\n').length] as const)
    .filter(([, lines]) => lines > 400)
  assert.deepEqual(long, [])
})
