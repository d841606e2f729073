import { SEMVER_PATTERN } from './schema.js';

const PATTERN = new RegExp(SEMVER_PATTERN);

interface Parsed {
  core: [number, number, number];
  pre: string[];
}

function parse(version: string): Parsed {
  const match = PATTERN.exec(version);
  if (!match) throw new Error(`not a semantic version: ${JSON.stringify(version)}`);
  return {
    core: [Number(match[1]), Number(match[2]), Number(match[3])],
    pre: match[4] ? match[4].slice(1).split('.') : [],
  };
}

function comparePre(a: string[], b: string[]): number {
  // A release ranks above its pre-releases (1.0.0-rc.1 < 1.0.0).
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Negative, zero or positive as `a` precedes, equals or follows `b` (semver precedence). */
export function compareSemVer(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) {
    const diff = pa.core[i]! - pb.core[i]!;
    if (diff !== 0) return Math.sign(diff);
  }
  return Math.sign(comparePre(pa.pre, pb.pre));
}

/** The next minor release: 1.4.2 → 1.5.0, 1.5.0-rc.1 → 1.6.0. */
export function bumpMinor(version: string): string {
  const [major, minor] = parse(version).core;
  return `${major}.${minor + 1}.0`;
}
