import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A test certificate authority made with Debian's openssl, and the leaf pairs it signs. */
export interface TestCa {
  dir: string;
  /** The CA certificate (PEM), for clients' `ca` and for UPSTREAM_CA_FILE. */
  certPath: string;
  pem: string;
  /** Signs a P-256 leaf for these names (DNS names, or IP addresses); answers its PEM files. */
  issue(names: string[], into?: { dir: string; base: string }): LeafPair;
}

export interface LeafPair {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
  /** SHA-256 fingerprint, to tell which certificate a handshake served. */
  fingerprint: string;
}

const IP = /^\d+\.\d+\.\d+\.\d+$/;
let serial = 0;

/** A new P-256 key, unencrypted: fast to make, and what a modern certificate would hold. */
const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'waypost-ca-'));
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  openssl([
    'req',
    '-x509',
    ...NEW_P256_KEY,
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=Waypost Test CA',
  ]);
  return {
    dir,
    certPath,
    pem: readFileSync(certPath, 'utf8'),
    issue(names, into) {
      const base = into?.base ?? `leaf-${++serial}`;
      const target = into?.dir ?? dir;
      const leafKey = join(target, `${base}.key`);
      const leafCert = join(target, `${base}.crt`);
      const csr = join(dir, `${base}-${++serial}.csr`);
      const ext = join(dir, `${base}-${serial}.ext`);
      const san = names.map((name) => (IP.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
      writeFileSync(ext, `subjectAltName=${san}\n`);
      // Made beside the CA and copied in, so a pair is replaced the way an operator would.
      const madeKey = join(dir, `${base}-${serial}.key`);
      const madeCert = join(dir, `${base}-${serial}.crt`);
      openssl([
        'req',
        ...NEW_P256_KEY,
        '-keyout',
        madeKey,
        '-out',
        csr,
        '-subj',
        `/CN=${names[0]}`,
      ]);
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        certPath,
        '-CAkey',
        keyPath,
        '-set_serial',
        String(Date.now() * 100 + serial),
        '-days',
        '2',
        '-extfile',
        ext,
        '-out',
        madeCert,
      ]);
      const key = readFileSync(madeKey, 'utf8');
      const cert = readFileSync(madeCert, 'utf8');
      writeFileSync(leafKey, key);
      writeFileSync(leafCert, cert);
      return {
        certPath: leafCert,
        keyPath: leafKey,
        cert,
        key,
        fingerprint: new X509Certificate(cert).fingerprint256,
      };
    },
  };
}
