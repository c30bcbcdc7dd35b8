// The package's bin (dist/cli.js). `guard` runs on every edit a client makes, so it loads its own small module
// instead of the whole command line.
if (process.argv[2] === 'guard') await import('./guard.js')
else await import('./lockstep-mcp.js')

export {}
