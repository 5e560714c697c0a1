import { readFile } from "node:fs/promises";
import * as tls from "node:tls";
import { buildConnector } from "undici";

/** Where distributions keep the system CA bundle (Ubuntu/Debian first: charms run there). */
const SYSTEM_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"];

type CaKind = "default" | "system" | "bundled" | "extra";
type GetCaCertificates = (kind?: CaKind) => string[];

async function readFirst(paths: readonly string[]): Promise<string[]> {
  for (const path of paths) {
    try {
      return [await readFile(path, "utf8")];
    } catch {
      // Not this distribution's layout: try the next.
    }
  }
  return [];
}

/**
 * The CAs a TLS download trusts: Node's bundled roots, the system store, NODE_EXTRA_CA_CERTS, and the caller's
 * private CA. Passing `ca` to TLS replaces the defaults, so every source is listed explicitly. Newer Node
 * exposes the stores (tls.getCACertificates); on Node 20 the system bundle is read from its usual path.
 */
export async function trustedCas(privateCa?: string): Promise<string[]> {
  const extra = privateCa ? [privateCa] : [];
  const getCaCertificates = (tls as unknown as { getCACertificates?: GetCaCertificates }).getCACertificates;
  if (getCaCertificates) return [...getCaCertificates("default"), ...getCaCertificates("system"), ...extra];
  const fromEnv = process.env["NODE_EXTRA_CA_CERTS"];
  return [
    ...tls.rootCertificates,
    ...(await readFirst(SYSTEM_BUNDLES)),
    ...(fromEnv ? await readFirst([fromEnv]) : []),
    ...extra,
  ];
}

// Parsing some 300 CA certificates takes ~100 ms: done once per process and CA, and only for https.
const contexts = new Map<string, Promise<tls.SecureContext>>();

function secureContext(privateCa: string | undefined): Promise<tls.SecureContext> {
  const key = privateCa ?? "";
  let context = contexts.get(key);
  if (!context) {
    context = trustedCas(privateCa).then((ca) => tls.createSecureContext({ ca }));
    // A failure (say, an unreadable PEM) must not stick for the life of the process.
    context.catch(() => contexts.delete(key));
    contexts.set(key, context);
  }
  return context;
}

/** An undici connector: plain TCP for http, TLS verified against `trustedCas` for https. */
export function pluginConnector(privateCa: string | undefined, timeoutMs: number): buildConnector.connector {
  const plain = buildConnector({ timeout: timeoutMs });
  let secure: buildConnector.connector | undefined;
  return (options, callback) => {
    if (options.protocol !== "https:") return plain(options, callback);
    secureContext(privateCa).then(
      (context) => {
        secure ??= buildConnector({ timeout: timeoutMs, secureContext: context, rejectUnauthorized: true });
        secure(options, callback);
      },
      (err: Error) => callback(err, null),
    );
  };
}
