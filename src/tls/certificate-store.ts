import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, SecureContext, SecureContextOptions } from 'node:tls';
import { SettingsError } from '../config/settings.schema';
import type { GatewayTlsSettings } from '../config/settings';
import { candidatesFor, hostOfFileName } from './sni';

/** TLS 1.0 and 1.1 are refused: every context, the default one too, starts at 1.2. */
export const TLS_FLOOR: SecureContextOptions = { minVersion: 'TLSv1.2' };

/** How often the files are looked at for a change (a stat each, no read unless one changed). */
const RELOAD_CHECK_MS = 1_000;

/** One certificate and key pair on disk, and the host it serves ('' for the default pair). */
interface PairFiles {
  host: string;
  certPath: string;
  keyPath: string;
  /** How the pair is named in a log or error line: the setting, or the file in the folder. */
  label: string;
  /** The same for its key file alone: GATEWAY_TLS_KEY for the pair the settings name. */
  keyLabel: string;
  /** Named by GATEWAY_TLS_CERT/KEY, not found in the folder. */
  explicit: boolean;
}

interface LoadedPair {
  files: PairFiles;
  signature: string;
  cert: Buffer;
  key: Buffer;
  context: SecureContext;
  validTo: Date;
}

interface Log {
  log(message: string): void;
  warn(message: string): void;
}

/** The certificate and key as one usable context, or an error saying why they are not. */
function loadPair(files: PairFiles, signature: string, cert: Buffer, key: Buffer): LoadedPair {
  let context: SecureContext;
  let validTo: Date;
  try {
    context = createSecureContext({ ...TLS_FLOOR, cert, key });
    validTo = new Date(new X509Certificate(cert).validTo);
  } catch (error) {
    // OpenSSL's reason ("key values mismatch", "no start line"): never the files' content.
    const reason = String((error as Error).message).split('\n')[0];
    throw new Error(
      `${files.certPath} and ${files.keyPath} are not a usable certificate and key: ${reason}`,
    );
  }
  return { files, signature, cert, key, context, validTo };
}

/** The pairs the settings name: the explicit one, then each `<host>.crt` + `<host>.key` in the folder. */
function pairsIn(
  settings: GatewayTlsSettings,
  listing: readonly string[],
): { pairs: PairFiles[]; problems: string[] } {
  const pairs: PairFiles[] = [];
  const problems: string[] = [];
  if (settings.certFile !== null && settings.keyFile !== null)
    pairs.push({
      host: '',
      certPath: settings.certFile,
      keyPath: settings.keyFile,
      label: 'GATEWAY_TLS_CERT',
      keyLabel: 'GATEWAY_TLS_KEY',
      explicit: true,
    });
  const dir = settings.dir;
  if (dir === null) return { pairs, problems };
  const names = new Set(listing);
  for (const file of [...listing].sort()) {
    if (!file.endsWith('.crt')) continue;
    const base = file.slice(0, -'.crt'.length);
    const host = hostOfFileName(base);
    const label = `GATEWAY_TLS_DIR ${file}`;
    if (host === null) {
      problems.push(
        `${label}: is named for no host (<host>.crt, _wildcard.<domain>.crt or default.crt)`,
      );
      continue;
    }
    if (!names.has(`${base}.key`)) {
      problems.push(`${label}: has no ${base}.key beside it`);
      continue;
    }
    if (host === '' && pairs.some((pair) => pair.host === ''))
      problems.push(`${label}: GATEWAY_TLS_CERT names the default pair already`);
    else
      pairs.push({
        host,
        certPath: join(dir, file),
        keyPath: join(dir, `${base}.key`),
        label,
        keyLabel: `GATEWAY_TLS_DIR ${base}.key`,
        explicit: false,
      });
  }
  return { pairs, problems };
}

function signatureOf(
  cert: { mtimeMs: number; size: number; ino: number },
  key: typeof cert,
): string {
  return `${cert.ino}:${cert.mtimeMs}:${cert.size}/${key.ino}:${key.mtimeMs}:${key.size}`;
}

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? String((error as Error).message);
}

/**
 * The gateway's certificates: loaded at start (any bad or missing file stops start-up), chosen by
 * SNI (exact name, then the wildcard one label up, then the default pair), and reloaded when their
 * files change. A changed pair is loaded once it has stayed the same for one check (a pair being
 * copied in is often half-written); a pair that does not load keeps the one loaded and is logged
 * once. Keys stay in memory only: never in a log line, an error or the settings.
 */
export class CertificateStore {
  private loaded = new Map<string, LoadedPair>();
  /** By host: a changed pair's signature, waiting one check to settle. */
  private readonly pending = new Map<string, string>();
  /** By host: the signature of files that did not load, so they are not tried (and logged) again. */
  private readonly failed = new Map<string, string>();
  /** Problems logged by the last check and this one: each is logged when it appears, not every second. */
  private reported = new Set<string>();
  private reporting = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private log: Log | null = null;
  /** Told when the default pair changes: the TLS server's own context (clients without SNI) follows. */
  onDefaultChange: ((pair: { cert: Buffer; key: Buffer }) => void) | null = null;

  private constructor(private readonly settings: GatewayTlsSettings) {}

  /** Reads every pair now; throws a SettingsError with one line per bad or missing file. */
  static open(settings: GatewayTlsSettings): CertificateStore {
    const store = new CertificateStore(settings);
    let listing: string[] = [];
    if (settings.dir !== null) {
      try {
        listing = readdirSync(settings.dir);
      } catch (error) {
        throw new SettingsError([
          `GATEWAY_TLS_DIR: cannot read ${settings.dir} (${errorCode(error)})`,
        ]);
      }
    }
    const { pairs, problems } = pairsIn(settings, listing);
    const read = (path: string, label: string) => {
      try {
        return { bytes: readFileSync(path), stats: statSync(path) };
      } catch (error) {
        problems.push(`${label}: cannot read ${path} (${errorCode(error)})`);
        return null;
      }
    };
    for (const files of pairs) {
      const cert = read(files.certPath, files.label);
      const key = read(files.keyPath, files.keyLabel);
      if (cert === null || key === null) continue;
      try {
        const signature = signatureOf(cert.stats, key.stats);
        store.loaded.set(files.host, loadPair(files, signature, cert.bytes, key.bytes));
      } catch (error) {
        problems.push(`${files.label}: ${(error as Error).message}`);
      }
    }
    if (problems.length === 0 && store.loaded.size === 0)
      problems.push(`GATEWAY_TLS_DIR: ${settings.dir} holds no <host>.crt and <host>.key pair`);
    if (problems.length > 0) throw new SettingsError(problems);
    return store;
  }

  /** The pair for clients that send no server name, or one no other pair serves. */
  get defaultPair(): { cert: Buffer; key: Buffer } | null {
    const pair = this.loaded.get('');
    return pair ? { cert: pair.cert, key: pair.key } : null;
  }

  /** Node's SNICallback: the best pair for the name; undefined lets the default pair answer. */
  readonly sniCallback = (
    serverName: string,
    done: (error: Error | null, context?: SecureContext) => void,
  ) => {
    const [exact, wildcard] = candidatesFor(serverName);
    const pair =
      this.loaded.get(exact) ?? (wildcard !== null ? this.loaded.get(wildcard) : undefined);
    done(null, pair?.context);
  };

  /** One line per pair, for the start-up log: what is served, until when. */
  describe(): string[] {
    return [...this.loaded.values()].map(
      (pair) =>
        `${pair.files.host || 'default'} (${pair.files.certPath}, valid until ${pair.validTo.toISOString()})`,
    );
  }

  /** Starts looking for changed files; the log takes the reload lines. */
  watch(log: Log): void {
    this.log = log;
    for (const pair of this.loaded.values())
      if (pair.validTo.getTime() < Date.now())
        log.warn(`certificate ${pair.files.label} expired on ${pair.validTo.toISOString()}`);
    this.timer ??= setInterval(() => void this.check(), RELOAD_CHECK_MS).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look at the files: a pair that changed and then stayed put is loaded, or kept and logged. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await this.checkOnce();
    } finally {
      this.reported = this.reporting;
      this.reporting = new Set();
      this.checking = false;
    }
  }

  private async checkOnce(): Promise<void> {
    const dir = this.settings.dir;
    let listing: string[] = [];
    if (dir !== null) {
      try {
        listing = await readdir(dir);
      } catch (error) {
        return this.report(
          `GATEWAY_TLS_DIR: cannot read ${dir} (${errorCode(error)}); the certificates loaded stay`,
        );
      }
    }
    const { pairs, problems } = pairsIn(this.settings, listing);
    for (const problem of problems) this.report(problem);
    const next = new Map<string, LoadedPair>();
    for (const files of pairs) {
      const current = this.loaded.get(files.host);
      const pair = await this.refreshed(files, current);
      if (pair) next.set(files.host, pair);
    }
    for (const [host, pair] of this.loaded) {
      if (next.has(host)) continue;
      // A pair named by the settings stays while its files are missing; one gone from the folder goes.
      if (pair.files.explicit) next.set(host, pair);
      else this.log?.log(`certificate ${pair.files.label} removed: ${host} gets the default pair`);
    }
    const defaultBefore = this.loaded.get('');
    this.loaded = next;
    const defaultNow = next.get('');
    if (defaultNow && defaultNow !== defaultBefore)
      this.onDefaultChange?.({ cert: defaultNow.cert, key: defaultNow.key });
  }

  /** The pair as it should be served now: the one loaded, or its changed files once they settle. */
  private async refreshed(
    files: PairFiles,
    current: LoadedPair | undefined,
  ): Promise<LoadedPair | undefined> {
    let signature: string;
    try {
      signature = signatureOf(await stat(files.certPath), await stat(files.keyPath));
    } catch (error) {
      if (current)
        this.report(`certificate ${files.label}: ${errorCode(error)}; the one loaded stays`);
      return current;
    }
    if (current?.signature === signature) {
      this.pending.delete(files.host);
      return current;
    }
    if (this.pending.get(files.host) !== signature) {
      this.pending.set(files.host, signature);
      return current;
    }
    this.pending.delete(files.host);
    if (this.failed.get(files.host) === signature) return current;
    try {
      const [cert, key] = await Promise.all([readFile(files.certPath), readFile(files.keyPath)]);
      const pair = loadPair(files, signature, cert, key);
      this.failed.delete(files.host);
      this.log?.log(
        `certificate ${files.label} ${current ? 're' : ''}loaded, valid until ${pair.validTo.toISOString()}`,
      );
      return pair;
    } catch (error) {
      this.failed.set(files.host, signature);
      const kept = current ? 'not reloaded, the one loaded stays' : 'not loaded';
      this.log?.warn(`certificate ${files.label} ${kept}: ${(error as Error).message}`);
      return current;
    }
  }

  /** A problem with the files is logged when it appears, not every second until it is fixed. */
  private report(problem: string): void {
    this.reporting.add(problem);
    if (!this.reported.has(problem)) this.log?.warn(problem);
  }
}
