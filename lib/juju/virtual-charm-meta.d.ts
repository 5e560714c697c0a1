/** Provided at build time by buildCharm: the charm's metadata from charmcraft.yaml. */
declare module "virtual:charm-meta" {
  import type { CharmMeta } from "./meta.js";

  const meta: CharmMeta;
  export default meta;
}
