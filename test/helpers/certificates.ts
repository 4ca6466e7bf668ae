/**
 * A throwaway PKI for TLS tests, made with the `openssl` CLI in a temporary directory:
 * certificate authorities, server certificates for loopback and client certificates, all with
 * EC P-256 keys (fast to generate) and returned as PEM strings.
 *
 * Leaf certificates are signed with `openssl ca`, which takes explicit -startdate/-enddate, so a
 * certificate can be made that has already expired or expires in a given number of days
 * (OpenSSL 3.0's `x509 -req` only has -days, counted from now).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CertificateAuthority {
  name: string;
  /** PEM. */
  certificate: string;
  /** PEM (PKCS#8, unencrypted). */
  privateKey: string;
  /** Where the CA's files live; signing uses them. */
  dir: string;
}

export interface IssuedCertificate {
  /** PEM of the leaf alone. */
  certificate: string;
  /** PEM (PKCS#8, unencrypted). */
  privateKey: string;
}

export interface Validity {
  /** Valid for this many days from `notBefore` (default 30). Ignored when `notAfter` is given. */
  days?: number;
  /** Default: one minute ago, so a slightly slow clock elsewhere does not matter. */
  notBefore?: Date;
  notAfter?: Date;
}

let root: string | undefined;
let sequence = 0;

/** A fresh directory under this process's temporary root. */
function freshDir(label: string): string {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-pki-'));
  const dir = path.join(root, `${++sequence}-${label.replace(/[^a-z0-9]+/gi, '-')}`);
  fs.mkdirSync(dir);
  return dir;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(`openssl ${args[0]} failed in ${cwd}: ${stderr || String(err)}`, { cause: err });
  }
}

function newKey(dir: string, file: string): string {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], dir);
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

/** 20240101000000Z: the generalized time openssl ca takes. */
function opensslTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** A self-signed CA certificate, valid for `days` (default 30). */
export function makeCertificateAuthority(name: string, days = 30): CertificateAuthority {
  const dir = freshDir(`ca-${name}`);
  const privateKey = newKey(dir, 'ca.key');
  openssl(
    [
      'req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${name}`, '-days', String(days),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-out', 'ca.crt',
    ],
    dir,
  );
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]', 'default_ca = test',
      '[test]', `database = ${path.join(dir, 'index.txt')}`, `new_certs_dir = ${dir}`, 'rand_serial = yes',
      'default_md = sha256', 'policy = any', 'unique_subject = no',
      '[any]', 'commonName = supplied', 'organizationName = optional',
    ].join('\n'),
  );
  return { name, certificate: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'), privateKey, dir };
}

/** A leaf certificate for `commonName`, signed by `ca`, with the given X.509v3 extensions. */
function issue(ca: CertificateAuthority, commonName: string, extensions: string[], validity: Validity): IssuedCertificate {
  const dir = freshDir(commonName);
  const privateKey = newKey(dir, 'leaf.key');
  openssl(['req', '-new', '-key', 'leaf.key', '-subj', `/CN=${commonName}`, '-out', 'leaf.csr'], dir);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), extensions.join('\n'));
  const notBefore = validity.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = validity.notAfter ?? new Date(notBefore.getTime() + (validity.days ?? 30) * 86_400_000);
  openssl(
    [
      'ca', '-batch', '-notext', '-config', path.join(ca.dir, 'ca.cnf'),
      '-cert', path.join(ca.dir, 'ca.crt'), '-keyfile', path.join(ca.dir, 'ca.key'),
      '-in', 'leaf.csr', '-out', 'leaf.crt', '-outdir', dir, '-extfile', 'ext.cnf',
      '-startdate', opensslTime(notBefore), '-enddate', opensslTime(notAfter),
    ],
    dir,
  );
  return { certificate: fs.readFileSync(path.join(dir, 'leaf.crt'), 'utf8'), privateKey };
}

/** A server certificate for 127.0.0.1 and localhost. */
export function makeServerCertificate(ca: CertificateAuthority, validity: Validity = {}): IssuedCertificate {
  return issue(
    ca,
    'localhost',
    ['basicConstraints = CA:FALSE', 'keyUsage = digitalSignature', 'extendedKeyUsage = serverAuth', 'subjectAltName = IP:127.0.0.1,DNS:localhost'],
    validity,
  );
}

/** A client certificate for `commonName`. */
export function makeClientCertificate(ca: CertificateAuthority, commonName: string, validity: Validity = {}): IssuedCertificate {
  return issue(ca, commonName, ['basicConstraints = CA:FALSE', 'keyUsage = digitalSignature', 'extendedKeyUsage = clientAuth'], validity);
}

/** Removes everything this process generated (call from an `after` hook). */
export function removeCertificates(): void {
  if (root) fs.rmSync(root, { recursive: true, force: true });
  root = undefined;
}
