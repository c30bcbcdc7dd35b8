// npm run bench [-- store|store-small|mcp|growth|dashboard|guard|git] [-- --against <folder>]: whole-system figures, printed as tables.
import { benchStore } from './store.js'

const args = process.argv.slice(2)
const against = args.indexOf('--against')
if (against >= 0) {
  console.log(`${await (await import('./against.js')).benchAgainst(args[against + 1])}\n`)
  args.splice(against, 2)
  if (!args.length) process.exit(0)
}
const wanted = new Set(args)
const all = wanted.size === 0
if (all || wanted.has('store')) console.log(`${await benchStore()}\n`)
if (wanted.has('store-small')) console.log(`${await benchStore([100])}\n`)
if (all || wanted.has('mcp')) console.log(`${await (await import('./mcp.js')).benchMcp()}\n`)
if (all || wanted.has('dashboard')) console.log(`${await (await import('./dashboard.js')).benchDashboard()}\n`)
if (all || wanted.has('growth')) console.log(`${await (await import('./against.js')).benchGrowth()}\n`)
if (all || wanted.has('guard')) console.log(`${await (await import('./guard.js')).benchGuard()}\n`)
if (wanted.has('git')) await import('./git-worktrees.js')
