import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertNoExecOptions, pinnedEnv, refusedEnvNames } from '../lib/commands/command-guard.js'
import { splitCommand } from '../lib/commands/argv.js'
import { isLockstepError } from '../lib/errors.js'

const refused = (command: string): boolean => {
  const [program, ...args] = splitCommand(command).argv
  try {
    assertNoExecOptions(program!, args)
    return false
  } catch (error) {
    assert.ok(isLockstepError(error) && error.code === 'FORBIDDEN')
    return true
  }
}

const ALLOWED = [
  'git status --short',
  'git log --oneline -5',
  'git add -u',
  'git commit -m "fix: x"',
  'git -C sub status',
  'git diff --stat HEAD~1',
  'git fetch origin',
  'git config --get user.name',
  'git config --list',
  'git rebase main',
  'git init -q',
  'npm install',
  'npm ci --ignore-scripts',
  'npm run build',
  'npm test',
  'npm config get registry',
  'npm --version',
  'yarn install',
  'pnpm add -D typescript',
]

const REFUSED = [
  'git -c core.pager=sh status',
  'git -ccore.editor=sh commit',
  'git --config-env=core.editor=X commit',
  'git --exec-path=. status',
  'git --git-dir=fake status',
  'git --work-tree=/ status',
  'git clone -u "sh x" src dst',
  'git clone --template=t src dst',
  'git clone --config core.fsmonitor=x src dst',
  'git fetch --upload-pack=x origin',
  'git fetch "--upl=x" origin',
  'git push --receive-pack=x origin',
  'git archive --exec=x --remote=y HEAD',
  'git init --template=t',
  'git config alias.x "!sh"',
  'git config core.hooksPath hooks',
  'git config --add alias.x y',
  'git rebase -x "sh x" main',
  'git rebase -i main',
  'git bisect run sh x',
  'git submodule foreach sh',
  'git grep -O x',
  'git difftool',
  'git mergetool',
  'git filter-branch --tree-filter x',
  'npm exec x',
  'npm x x',
  'npm explore pkg',
  'npm edit pkg',
  'npm init x',
  'npm create x',
  'npm set node-options=x',
  'npm config set node-options=x',
  'npm --node-options=x run build',
  'npm "--node-opt=x" test',
  'npm --script-shell=x run build',
  'npm --userconfig=x install',
  'pnpm dlx x',
  'yarn dlx x',
  'yarn node x.js',
]

test('the guard lets ordinary git and npm use through', () => {
  for (const command of ALLOWED) assert.equal(refused(command), false, command)
})

test('the guard refuses git and npm options and subcommands that start another program', () => {
  for (const command of REFUSED) assert.equal(refused(command), true, command)
})

test('env names that load code or config are refused, in any case; ordinary ones pass', () => {
  const env = Object.fromEntries(
    [
      'NODE_OPTIONS',
      'node_path',
      'GIT_CONFIG_COUNT',
      'GIT_SSH_COMMAND',
      'HOME',
      'BASH_ENV',
      'ENV',
      'PYTHONPATH',
      'PERL5OPT',
      'RUBYOPT',
      'LD_PRELOAD',
      'DYLD_INSERT_LIBRARIES',
      'npm_config_script_shell',
      'GOFLAGS',
      'RUSTC_WRAPPER',
      'EDITOR',
    ].map((name) => [name, 'x']),
  )
  assert.deepEqual(refusedEnvNames(env), Object.keys(env))
  const ordinary = { NODE_ENV: 'test', CI: '1', GIT_AUTHOR_NAME: 'a', GOOS: 'linux', LANG: 'C', DEBUG: '1', FORCE_COLOR: '0' }
  assert.deepEqual(refusedEnvNames(ordinary), [])
})

test('the pinned git config is added after any the server itself passes', () => {
  assert.deepEqual(pinnedEnv({}), { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.bareRepository', GIT_CONFIG_VALUE_0: 'explicit' })
  assert.deepEqual(pinnedEnv({ GIT_CONFIG_COUNT: '2' }), { GIT_CONFIG_COUNT: '3', GIT_CONFIG_KEY_2: 'safe.bareRepository', GIT_CONFIG_VALUE_2: 'explicit' })
})
