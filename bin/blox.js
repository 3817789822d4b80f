#!/usr/bin/env node
// The `blox` command: runs cli/main.ts through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
await run();
