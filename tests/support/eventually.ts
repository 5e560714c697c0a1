/**
 * Polls `read` every 5 ms until `until` holds and returns that value; throws with the last value (as
 * `describe` renders it) when `ms` pass first, so a check built on it can fail.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  until: (v: T) => boolean,
  ms = 5000,
  describe: (v: T) => unknown = (v) => v,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (until(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not reached in ${ms} ms; last value: ${JSON.stringify(describe(v))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
