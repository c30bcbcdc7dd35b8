import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import * as fs from 'node:fs'
import { dirname, join } from 'node:path'
import git from 'isomorphic-git'
import { LockstepError } from '../../lib/errors.js'
import { commitAll } from '../../lib/git/index.js'

const AUTHOR = { name: 'lockstep demo', email: 'demo@lockstep.invalid' }

/** The small app the demo's agents build: a to-do command line, with nothing but a stub entry point. */
const STARTER_FILES: Record<string, string> = {
  'README.md': '# todo-cli\n\nA tiny to-do list for the terminal.\n',
  'package.json': `${JSON.stringify({ name: 'todo-cli', version: '0.0.1', type: 'module', bin: { todo: 'src/index.js' } }, null, 2)}\n`,
  'src/index.js': "#!/usr/bin/env node\nconsole.log('todo: nothing here yet')\n",
}

/** A new repository on `main` in `dir` (which must be empty or missing) with one commit of the starter files. */
export async function createDemoRepo(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true })
  if (readdirSync(dir).length > 0) throw new LockstepError('INVALID_INPUT', `${dir} is not empty: pass a new or empty folder to --dir.`, { dir })
  await git.init({ fs, dir, defaultBranch: 'main' })
  for (const [path, content] of Object.entries(STARTER_FILES)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  await commit(dir, 'Start todo-cli')
}

/** Commit everything in a working tree as the demo's author; null when nothing changed. */
export function commit(dir: string, message: string): Promise<string | null> {
  return commitAll({ dir, message, author: AUTHOR })
}
