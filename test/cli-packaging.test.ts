import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { packageVersion } from '../lib/core/version.js'
import { ROOT, runProcess, tempDir, type ChildResult } from './support/helpers.js'

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall']

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ChildResult> {
  return runProcess(command, args, { ...options, shell: process.platform === 'win32' })
}

/** Every package folder under a node_modules tree, scoped ones and nested node_modules included. */
function packages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return []
  return readdirSync(nodeModules).flatMap((name) => {
    if (name.startsWith('.')) return []
    const dir = join(nodeModules, name)
    if (name.startsWith('@')) return packages(dir)
    return existsSync(join(dir, 'package.json')) ? [dir, ...packages(join(dir, 'node_modules'))] : []
  })
}

function nativeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name)
    const stat = statSync(full, { throwIfNoEntry: false })
    if (!stat) return []
    if (stat.isDirectory()) return name === 'node_modules' ? [] : nativeFiles(full)
    return name === 'binding.gyp' || name.endsWith('.node') ? [full] : []
  })
}

test('the packed tarball installs without scripts and runs: --version, status, and server answering tools/list', { timeout: 300_000 }, async (t) => {
  const dir = tempDir(t, 'lockstep-pack-')
  assert.ok(existsSync(join(ROOT, 'dist', 'cli.js')), 'npm run build first')
  const packed = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, timeoutMs: 120_000 })
  assert.equal(packed.code, 0, packed.stderr)
  const tarball = join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename)
  const prefix = join(dir, 'prefix')
  mkdirSync(prefix)
  const installed = await run(NPM, ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--prefix', prefix, tarball], { cwd: dir, timeoutMs: 240_000 })
  assert.equal(installed.code, 0, installed.stderr)

  const home = join(dir, 'home')
  mkdirSync(home)
  const env = { PATH: process.env.PATH ?? '', HOME: home, USERPROFILE: home, LOCKSTEP_HOME: join(home, '.lockstep-mcp'), CODEX_HOME: join(home, '.codex') }
  const bin = join(prefix, 'node_modules', '.bin', process.platform === 'win32' ? 'lockstep-mcp.cmd' : 'lockstep-mcp')
  const version = await run(bin, ['--version'], { cwd: home, env })
  assert.equal(version.code, 0, version.stderr)
  assert.equal(version.stdout.trim(), `lockstep-mcp v${packageVersion()}`)
  const status = await run(bin, ['status', '--json'], { cwd: home, env })
  assert.equal(status.code, 0, status.stderr)
  assert.equal(JSON.parse(status.stdout).version, packageVersion())

  const transport = new StdioClientTransport({ command: bin, args: ['server'], cwd: home, env, stderr: 'pipe' })
  const client = new Client({ name: 'packaging-check', version: '1.0.0' })
  await client.connect(transport)
  t.after(() => client.close())
  const { tools } = await client.listTools()
  assert.ok(tools.some((tool) => tool.name === 'coordination_init'))

  const install = await run(bin, ['install', '--claude', '--json'], { cwd: home, env })
  assert.equal(install.code, 0, install.stderr)
  const entry = JSON.parse(install.stdout).targets[0].entry
  assert.equal(entry.command, process.execPath)
  assert.deepEqual(entry.args, [realpathSync(join(prefix, 'node_modules', 'lockstep-mcp', 'dist', 'cli.js')), 'server'], 'the entry runs the installed package')

  const offenders: string[] = []
  const installedPackages = packages(join(prefix, 'node_modules'))
  assert.ok(
    installedPackages.some((pkg) => pkg.endsWith(join('node_modules', 'clipanion'))),
    'the dependency tree was walked',
  )
  for (const pkg of installedPackages) {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { name?: string; scripts?: Record<string, string> }
    for (const script of INSTALL_SCRIPTS) if (manifest.scripts?.[script]) offenders.push(`${manifest.name}: ${script} script`)
    for (const file of nativeFiles(pkg)) offenders.push(`${manifest.name}: ${relative(pkg, file)}`)
  }
  assert.deepEqual(offenders, [], 'production dependencies must need no compiler and run no install script')
})

test('run through npx, install writes an npx entry rather than a path into the npx cache', { timeout: 300_000 }, async (t) => {
  const dir = tempDir(t, 'lockstep-npx-')
  const packed = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, timeoutMs: 120_000 })
  assert.equal(packed.code, 0, packed.stderr)
  const tarball = join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename)
  const home = join(dir, 'home')
  mkdirSync(home)
  // the real npm cache keeps this offline-capable; HOME is scratch so no real client config is touched
  const cache = (await run(NPM, ['config', 'get', 'cache'], { cwd: dir })).stdout.trim()
  const env = { PATH: process.env.PATH ?? '', HOME: home, USERPROFILE: home, LOCKSTEP_HOME: join(home, '.lockstep-mcp'), npm_config_cache: cache, npm_config_prefer_offline: 'true' }
  const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx'
  const result = await run(NPX, ['-y', '--package', tarball, 'lockstep-mcp', 'install', '--claude', '--json'], { cwd: home, env, timeoutMs: 240_000 })
  assert.equal(result.code, 0, result.stderr)
  const entry = JSON.parse(result.stdout).targets[0].entry
  assert.equal(entry.command, 'npx')
  assert.deepEqual(entry.args, ['-y', `lockstep-mcp@${packageVersion()}`, 'server'])
})
