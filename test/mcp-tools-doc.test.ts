import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderToolsDoc } from '../bin/tools-doc.js'
import { ROOT } from './support/helpers.js'

test('docs/tools.md is what the tool table renders (run `npm run docs` after changing a tool)', () => {
  const written = readFileSync(join(ROOT, 'docs', 'tools.md'), 'utf8').replaceAll('\r\n', '\n')
  const rendered = renderToolsDoc()
  if (written === rendered) return
  const [old, now] = [written.split('\n'), rendered.split('\n')]
  const at = Array.from({ length: Math.max(old.length, now.length) }, (_, index) => index).find((index) => old[index] !== now[index]) ?? 0
  assert.fail(
    `docs/tools.md is out of date: run \`npm run docs\` and commit the result. Line ${at + 1} is ${JSON.stringify(old[at] ?? null)}, the tool table gives ${JSON.stringify(now[at] ?? null)}.`,
  )
})

test('renderToolsDoc gives the same text twice and has a section for every tool', () => {
  const text = renderToolsDoc()
  assert.equal(renderToolsDoc(), text)
  const sections = [...text.matchAll(/^### (\w+)$/gm)].map((match) => match[1])
  assert.equal(sections.length, 45)
  assert.equal(new Set(sections).size, 45)
})
