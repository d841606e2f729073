#!/usr/bin/env node
import { runCli } from './program.js';

// Exit explicitly: a command is done when its action resolves, even if a library left a handle open.
process.exit(await runCli(process.argv.slice(2)));
