#!/usr/bin/env node
// The `cairn` command: runs the compiled CLI (npm run build writes dist/).
import { main } from '../dist/src/node/cli.js';

process.exitCode = await main(process.argv.slice(2));
