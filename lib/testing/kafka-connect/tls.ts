import { randomBytes, webcrypto } from "node:crypto";

type KeyPair = webcrypto.CryptoKeyPair;

/** A throwaway CA and the server certificate every worker listens with. */
export interface TestTls {
  /** The CA certificate (PEM): what a provider publishes as `tls-ca` and a client must trust. */
  caPem: string;
  certPem: string;
  /** PKCS#8 PEM; stays in memory, never written by the emulator. */
  keyPem: string;
}

const EC: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: "ECDSA",
  namedCurve: "P-256",
  hash: "SHA-256",
};

const withNewline = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

/** A throwaway certificate authority that issues server certificates. */
export interface TestCa {
  /** The CA certificate (PEM): what a provider publishes as `tls-ca` and a client must trust. */
  readonly caPem: string;
  /** A server certificate signed by this CA for the given IP and DNS SANs (default 127.0.0.1 and localhost). */
  issueServer(sans?: {
    ip?: readonly string[];
    dns?: readonly string[];
  }): Promise<{ certPem: string; keyPem: string }>;
}

/**
 * A fresh ECDSA P-256 CA, valid from an hour ago for a day. @peculiar/x509 is loaded only here, so clusters
 * without TLS never pay for it. The one test CA of the project: the emulator, the client's and the fetcher's
 * tests all use it.
 */
export async function createTestCa(commonName = "kafka-connect-emulator test CA"): Promise<TestCa> {
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);
  const subtle = webcrypto.subtle;
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const serial = () => `01${randomBytes(15).toString("hex")}`; // positive, 16 bytes

  const caKeys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as KeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  return {
    caPem: withNewline(ca.toString("pem")),
    async issueServer({ ip = ["127.0.0.1"], dns = ["localhost"] } = {}) {
      const serverKeys = (await subtle.generateKey(EC, true, ["sign", "verify"])) as KeyPair;
      const server = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${dns[0] ?? ip[0] ?? "server"}`,
        issuer: ca.subject,
        notBefore,
        notAfter,
        publicKey: serverKeys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: EC,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
            true,
          ),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            ...ip.map((value) => ({ type: "ip" as const, value })),
            ...dns.map((value) => ({ type: "dns" as const, value })),
          ]),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      return {
        certPem: withNewline(server.toString("pem")),
        keyPem: pem("PRIVATE KEY", await subtle.exportKey("pkcs8", serverKeys.privateKey)),
      };
    },
  };
}

/** A fresh CA and the server certificate (SAN IP 127.0.0.1, DNS localhost) every worker listens with. */
export async function generateTestTls(): Promise<TestTls> {
  const ca = await createTestCa();
  return { caPem: ca.caPem, ...(await ca.issueServer()) };
}
