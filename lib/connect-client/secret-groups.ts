/**
 * How Canonical's Python library (data_interfaces) groups secret fields, so a secret we publish or read has
 * the label and databag key its peers expect: `username` lives in the `user` group, published as `secret-user`
 * and labelled `<relation-name>.<relation-id>.user.secret` by its owner.
 */
export type SecretGroup = "user" | "tls" | "mtls" | "entity" | "extra";

const GROUP_OF_FIELD: Readonly<Record<string, SecretGroup>> = {
  username: "user",
  password: "user",
  uris: "user",
  "read-only-uris": "user",
  tls: "tls",
  "tls-ca": "tls",
  "mtls-cert": "mtls",
  "entity-name": "entity",
  "entity-password": "entity",
};

export function secretGroupOf(field: string): SecretGroup {
  return GROUP_OF_FIELD[field] ?? "extra";
}

/** The databag key that carries a group's secret URI. */
export function secretFieldKey(group: SecretGroup): `secret-${SecretGroup}` {
  return `secret-${group}`;
}

/** The label the owning side gives a group's secret (also used by our requirer as its consumer label). */
export function secretLabel(relationName: string, relationNumber: number, group: SecretGroup): string {
  return `${relationName}.${relationNumber}.${group}.secret`;
}
