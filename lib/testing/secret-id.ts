import { newXid } from "../juju/secret-uri.js";

/** A fresh, valid secret id (an xid) for a State. */
export function secretId(): string {
  return newXid();
}
