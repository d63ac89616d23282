import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates } from 'node:tls';
import { SettingsError } from '../config/settings.schema';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificate authorities trusted for `https://` backends and health checks: Node's own,
 * plus UPSTREAM_CA_FILE's. Without that file nothing changes (undici's defaults).
 */
export class UpstreamTrust {
  private constructor(
    /** Node's roots and the file's certificates; undefined: the defaults. */
    readonly ca: string[] | undefined,
  ) {}

  static readonly DEFAULT = new UpstreamTrust(undefined);

  /** Reads the file now; throws a SettingsError with one line when it is missing or holds no certificate. */
  static open(file: string | null): UpstreamTrust {
    if (file === null) return UpstreamTrust.DEFAULT;
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unreadable';
      throw new SettingsError([`UPSTREAM_CA_FILE: cannot read ${file} (${code})`]);
    }
    const certificates = pem.match(PEM_CERTIFICATE) ?? [];
    try {
      if (certificates.length === 0) throw new Error('no PEM certificate in it');
      for (const certificate of certificates) new X509Certificate(certificate);
      createSecureContext({ ca: certificates });
    } catch (error) {
      const reason = String((error as Error).message).split('\n')[0];
      throw new SettingsError([`UPSTREAM_CA_FILE: ${file} is not a CA bundle: ${reason}`]);
    }
    return new UpstreamTrust([...rootCertificates, ...certificates]);
  }

  /** TLS options for undici's `connect` and for node:https: the CAs, when there are extra ones. */
  get connectOptions(): { ca?: string[] } {
    return this.ca === undefined ? {} : { ca: this.ca };
  }
}
