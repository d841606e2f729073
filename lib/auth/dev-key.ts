import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { DevicePosture } from '../trust/zero-trust.js';
import type { Role } from './roles.js';

/** The local development signing key: trusted only on embedded defaults or when AUTH_DEV_KEY=true. */
export interface DevKey {
  kid: string;
  alg: 'ES256';
  privateKey: CryptoKey;
  /** Public half as a JWK (with kid and alg), what the API verifies against. */
  publicJwk: JWK;
  file: string;
}

interface DevKeyFile {
  kid: string;
  alg: 'ES256';
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: string;
}

export const DEV_KEY_FILE = 'dev-signing-key.json';

async function readDevKey(file: string): Promise<DevKey> {
  const stored = JSON.parse(await readFile(file, 'utf8')) as DevKeyFile;
  const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
  return { kid: stored.kid, alg: stored.alg, privateKey, publicJwk: stored.publicJwk, file };
}

/**
 * Loads `<home>/dev-signing-key.json`, creating an ES256 key pair there (mode 0600) the first time.
 * The file is written under a temporary name and hard-linked into place, so two processes starting at
 * once (API and CLI under `dharma up`) end up with the same key instead of overwriting each other's.
 */
export async function loadOrCreateDevKey(home: string): Promise<DevKey> {
  const file = path.join(home, DEV_KEY_FILE);
  try {
    return await readDevKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(home, { recursive: true });
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const content: DevKeyFile = {
    kid,
    alg: 'ES256',
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
    publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' },
    createdAt: new Date().toISOString(),
  };
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(content, null, 2), { mode: 0o600 });
  try {
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp);
  }
  return readDevKey(file);
}

export interface MintTokenOptions {
  subject: string;
  roles: readonly Role[];
  ttlSeconds: number;
  key: DevKey;
  issuer: string;
  audience: string;
  /** Authentication methods (`amr`), e.g. ['mfa']; dev tokens count as MFA-authenticated by default. */
  amr?: readonly string[];
  /** `device_posture` claim for the zero-trust check; null leaves the device unknown. */
  devicePosture?: DevicePosture | null;
}

/**
 * The posture a dev token claims for the machine it was minted on. The dev key only exists on the
 * developer's own machine (embedded defaults), the one device that holds it; without a posture the
 * zero-trust score of a dev token could never reach ALLOW and no privileged route would work locally.
 */
export const DEV_DEVICE_POSTURE: DevicePosture = {
  compliance: 100,
  encrypted: true,
  firewall: true,
  antivirus: true,
  patched: true,
};

/** Signs a development JWT with the dev key: `sub`, `roles`, `iat`/`auth_time`, `exp`, `iss`, `aud`. */
export async function mintToken(options: MintTokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const posture = options.devicePosture === undefined ? DEV_DEVICE_POSTURE : options.devicePosture;
  return new SignJWT({
    roles: [...options.roles],
    amr: [...(options.amr ?? ['mfa'])],
    auth_time: now,
    ...(posture ? { device_posture: posture } : {}),
  })
    .setProtectedHeader({ alg: options.key.alg, kid: options.key.kid, typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds)
    .setJti(randomUUID())
    .sign(options.key.privateKey);
}
