import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ROOT } from './support/helpers.js'
import { importCycles, layerViolations, privateImports, readImportGraph, type ImportGraph } from './support/layering-check.js'

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [full] : []
  })
}

const ADAPTER_IMPORT = /from\s+['"](@modelcontextprotocol\/|clipanion|polka|sirv)/
const ADAPTER_FOLDERS = ['lib/mcp/', 'lib/http/', 'lib/dashboard/']
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
  const offenders = sources(join(ROOT, 'storage')).filter((file) => [...readFileSync(file, 'utf8').matchAll(/from\s+['"](?:\.\.\/)+lib\/([\w/-]+)\.js['"]/g)].some((match) => match[1] !== 'errors'))
  assert.deepEqual(
    offenders.map((file) => relative(ROOT, file)),
    [],
  )
})

test('no source file is over 400 lines', () => {
  const long = [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'storage')), ...sources(join(ROOT, 'bin'))]
    .map((file) => [relative(ROOT, file), readFileSync(file, 'utf8').split('\n').length] as const)
    .filter(([, lines]) => lines > 400)
  assert.deepEqual(long, [])
})

const GRAPH = readImportGraph(ROOT, ['lib', 'storage', 'bin'])

test('imports flow one way: core ← storage and git ← state ← domain folders ← mcp, http and dashboard ← bin', () => {
  assert.deepEqual(layerViolations(GRAPH), [])
})

test('no import cycles in lib/, storage/ and bin/', () => {
  assert.deepEqual(importCycles(GRAPH), [])
})

test('a _file is imported only from its own folder', () => {
  assert.deepEqual(privateImports(GRAPH), [])
})

test('tests import no _file of lib/, storage/ or bin/: a test stands outside every folder, so it goes through the public modules', () => {
  assert.deepEqual(privateImports(readImportGraph(ROOT, ['test']), ['lib/', 'storage/', 'bin/']), [])
})

test('the checker reports an upward import, a cycle and a foreign _file import', () => {
  const wrong: ImportGraph = {
    'lib/core/ids.ts': ['lib/state/schema.ts'],
    'lib/state/schema.ts': [],
    'lib/tasks/tasks.ts': ['lib/tasks/claim.ts', 'lib/locks/_glob.ts'],
    'lib/tasks/claim.ts': ['lib/tasks/tasks.ts'],
    'lib/locks/_glob.ts': ['lib/locks/_glob.ts'],
    'lib/newfolder/x.ts': [],
  }
  assert.deepEqual(layerViolations(wrong), ['lib/core/ids.ts imports lib/state/schema.ts, a higher layer', 'lib/newfolder/x.ts: in no layer'])
  assert.deepEqual(importCycles(wrong), [['lib/locks/_glob.ts'], ['lib/tasks/claim.ts', 'lib/tasks/tasks.ts']])
  assert.deepEqual(privateImports(wrong), ['lib/tasks/tasks.ts imports lib/locks/_glob.ts, private to lib/locks/'])
  const fromTests = { 'test/locks-paths.test.ts': ['lib/locks/_glob.ts', 'lib/locks/lock-paths.ts'], 'test/mcp-tools-doc.test.ts': ['bin/tools-doc.ts'] }
  assert.deepEqual(privateImports(fromTests, ['lib/', 'storage/']), ['test/locks-paths.test.ts imports lib/locks/_glob.ts, private to lib/locks/'])
})
