/**
 * Canonical's connector cleanup, pure. Its provider deletes, on relation-departed (leader, departing unit of
 * the remote app), every connector whose name matches `re.compile(".+?r" + str(relation_id) +
 * "_[0-9a-f]{32}$")` with `re.match` (KC:src/managers/connect.py:88-94, 261-273; KC:src/events/provider.py:
 * 111-115). `re.match` anchors at the start only; Python's `$` also matches before one final newline, so the
 * JavaScript equivalent ends in `\n?$`.
 */
export function departureRegex(relationNumber: number): RegExp {
  if (!Number.isSafeInteger(relationNumber) || relationNumber < 0)
    throw new RangeError(`relation id must be a non-negative integer, got ${relationNumber}`);
  return new RegExp(`^.+?r${relationNumber}_[0-9a-f]{32}\\n?$`);
}

/** The connectors Canonical's provider would delete for a relation, in the order listed. */
export function connectorsToDelete(names: readonly string[], relationNumber: number): string[] {
  const re = departureRegex(relationNumber);
  return names.filter((n) => re.test(n));
}
