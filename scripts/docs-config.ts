/** Rewrites the configuration table in README.md from lib/config.ts SETTINGS. */
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceConfigTable } from '../lib/config-table.js';

const readme = readFileSync('README.md', 'utf8');
writeFileSync('README.md', replaceConfigTable(readme));
console.log('README.md configuration table updated');
