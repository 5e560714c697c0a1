/**
 * A throwaway certificate authority for HTTPS tests, generated at test time: an ECDSA P-256 CA and a server
 * certificate it signs for 127.0.0.1 (SAN IP), as PEM strings ready for `https.createServer` and `tlsCa`.
 */

import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface TestCa {
  /** PEM of the CA certificate: what a provider shares as `tls-ca`. */
  readonly caPem: string;
  /** Issues a server certificate for the given IP, signed by this CA. */
  issueServer(ip?: string): Promise<ServerCert>;
}

export interface ServerCert {
  readonly certPem: string;
  readonly keyPem: string;
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

export async function createTestCa(commonName = "Kafka Connect test CA"): Promise<TestCa> {
  const caKeys = await keyPair();
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    caPem: ca.toString("pem"),
    async issueServer(ip = "127.0.0.1") {
      const keys = await keyPair();
      const cert = await x509.X509CertificateGenerator.create({
        subject: `CN=${ip}`,
        issuer: ca.subject,
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALGORITHM,
        notBefore: new Date(now - DAY_MS),
        notAfter: new Date(now + DAY_MS),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([{ type: "ip", value: ip }]),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      return { certPem: cert.toString("pem"), keyPem: await privateKeyPem(keys.privateKey) };
    },
  };
}
