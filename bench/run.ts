// npm run bench [-- store|store-small|mcp|dashboard|guard|git]: whole-system figures, printed as tables.
import { benchStore } from './store.js'

const wanted = new Set(process.argv.slice(2))
const all = wanted.size === 0
if (all || wanted.has('store')) console.log(`${await benchStore()}\n`)
if (wanted.has('store-small')) console.log(`${await benchStore([100])}\n`)
if (all || wanted.has('mcp')) console.log(`${await (await import('./mcp.js')).benchMcp()}\n`)
if (all || wanted.has('dashboard')) console.log(`${await (await import('./dashboard.js')).benchDashboard()}\n`)
if (all || wanted.has('guard')) console.log(`${await (await import('./guard.js')).benchGuard()}\n`)
if (wanted.has('git')) await import('./git-worktrees.js')
