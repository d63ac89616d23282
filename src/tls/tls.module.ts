import { DynamicModule, Global, Module } from '@nestjs/common';
import { CertificateStore } from './certificate-store';
import { UpstreamTrust } from './upstream-trust';

/** The gateway's certificates (null: plain HTTP), opened before Nest starts so a bad file stops start-up with one line. */
export const GATEWAY_CERTIFICATES = Symbol('GATEWAY_CERTIFICATES');

export interface TlsMaterial {
  certificates: CertificateStore | null;
  upstreamTrust: UpstreamTrust;
}

/** TLS on both sides of the gateway: what it serves to clients and whom it trusts upstream. */
@Global()
@Module({})
export class TlsModule {
  static forRoot(material: TlsMaterial): DynamicModule {
    return {
      module: TlsModule,
      providers: [
        { provide: GATEWAY_CERTIFICATES, useValue: material.certificates },
        { provide: UpstreamTrust, useValue: material.upstreamTrust },
      ],
      exports: [GATEWAY_CERTIFICATES, UpstreamTrust],
    };
  }
}
