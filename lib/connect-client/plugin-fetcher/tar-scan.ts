import { Header, Pax, ReadEntry } from "tar";

/**
 * A tar reader for inspection: the block structure of a (decompressed) tar stream, fed chunk by chunk. It
 * decodes headers with node-tar's own Header, Pax and ReadEntry, following the steps of node-tar's Parser, so it
 * sees the entries extraction will see (extraction checks that it does), but unlike the Parser it never buffers
 * more than one 512-byte block, and it stops reading at the end-of-archive marker: what follows may only be
 * zero padding, and not much of it.
 */

/** The stream is not a readable tar archive. */
export class MalformedTar extends Error {}
/** The stream is a tar archive that breaks a rule (a limit, data after its end). */
export class RefusedTar extends Error {}

const BLOCK = 512;
/** As node-tar: a pax or GNU long-name header body larger than this is skipped by extraction, so refused. */
export const MAX_META_BYTES = 1024 * 1024;
/**
 * Zero bytes allowed after the two zero blocks that end an archive. Tar writes whole records (GNU tar's
 * default is 20 blocks, 10 KiB; `-b` goes higher), so a few KiB are normal; 1 MiB is more than any blocking
 * factor in use, and little enough that extraction's parser (which buffers what follows the end) stays fast.
 */
export const MAX_ZERO_TAIL_BYTES = 1024 * 1024;

type State =
  | { readonly name: "header" }
  | { readonly name: "body"; skip: number }
  | { readonly name: "meta"; readonly entry: ReadEntry; keep: number; skip: number; readonly parts: Buffer[] }
  | { readonly name: "tail" };

const LINK_TYPES = /^(Symbolic)?Link$/;
const EXTENDED_TYPES = /^(Global)?ExtendedHeader$/;

/** What node-tar's Parser starts a GNU long name from: an empty record, not a Pax with its fields. */
function blankExtended(): Pax {
  return Object.create(null) as Pax;
}

function isZero(chunk: Buffer): boolean {
  for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) return false;
  return true;
}

export class TarScanner {
  #state: State = { name: "header" };
  /** A header block split across chunks. */
  readonly #block = Buffer.alloc(BLOCK);
  #blockFill = 0;
  #offset = 0;
  #sawNullBlock = false;
  #entries = 0;
  #tailBytes = 0;
  #ex: Pax | undefined;
  #gex: Pax | undefined;

  /** `onEntry` gets every file-system entry (not pax or long-name headers) in order; it throws to refuse. */
  constructor(private readonly onEntry: (entry: ReadEntry) => void) {}

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.#state;
      const rest = chunk.length - at;
      if (state.name === "tail") {
        this.#tail(chunk.subarray(at));
        return;
      }
      if (state.name === "body") {
        const n = Math.min(state.skip, rest);
        state.skip -= n;
        at += n;
        this.#offset += n;
        if (state.skip === 0) this.#state = { name: "header" };
        continue;
      }
      if (state.name === "meta") {
        const n = Math.min(state.skip, rest);
        const kept = Math.min(state.keep, n);
        if (kept > 0) state.parts.push(Buffer.from(chunk.subarray(at, at + kept)));
        state.keep -= kept;
        state.skip -= n;
        at += n;
        this.#offset += n;
        if (state.skip === 0) this.#endMeta(state.entry, Buffer.concat(state.parts).toString());
        continue;
      }
      const n = Math.min(BLOCK - this.#blockFill, rest);
      if (this.#blockFill === 0 && n === BLOCK) {
        this.#header(chunk.subarray(at, at + BLOCK));
      } else {
        chunk.copy(this.#block, this.#blockFill, at, at + n);
        this.#blockFill += n;
        if (this.#blockFill === BLOCK) {
          this.#blockFill = 0;
          this.#header(this.#block);
        }
      }
      at += n;
    }
  }

  /** After the last chunk: throws when the archive stopped short. */
  end(): void {
    const state = this.#state.name;
    if (state === "body" || state === "meta") {
      throw new MalformedTar(`truncated: the archive ends inside an entry (at byte ${this.#offset})`);
    }
    if (state === "header" && this.#blockFill > 0 && !isZero(this.#block.subarray(0, this.#blockFill))) {
      throw new MalformedTar(`truncated: the archive ends inside a header (at byte ${this.#offset})`);
    }
    if (this.#entries === 0) throw new MalformedTar("the archive has no entries");
  }

  #header(block: Buffer): void {
    const offset = this.#offset;
    this.#offset += BLOCK;
    const header = new Header(block, 0, this.#ex, this.#gex);
    if (header.nullBlock) {
      if (this.#sawNullBlock) this.#state = { name: "tail" };
      this.#sawNullBlock = true;
      return;
    }
    this.#sawNullBlock = false;
    const invalid = (why: string) => new MalformedTar(`invalid tar header at byte ${offset}: ${why}`);
    if (!header.cksumValid) throw invalid("checksum failure");
    if (!header.path) throw invalid("no path");
    const type = header.type;
    if (LINK_TYPES.test(type) && !header.linkpath) throw invalid("a link without a target");
    if (!LINK_TYPES.test(type) && !EXTENDED_TYPES.test(type) && header.linkpath) {
      throw invalid("a link target on an entry that is not a link");
    }
    const entry = new ReadEntry(header, this.#ex, this.#gex);
    const blocks = entry.blockRemain ?? 0;
    if (entry.meta) {
      // The size a pax record claims for a meta header is not what its body takes: both are bounded.
      if (entry.size > MAX_META_BYTES || entry.remain > MAX_META_BYTES) {
        throw new RefusedTar(`a ${type} header at byte ${offset} is larger than ${MAX_META_BYTES} bytes`);
      }
      // node-tar reads a meta body only when the (pax-adjusted) size says there is one; so does this.
      if (entry.size > 0) {
        this.#state = { name: "meta", entry, keep: entry.remain, skip: blocks, parts: [] };
        if (blocks === 0) this.#endMeta(entry, "");
      }
      return;
    }
    this.#ex = undefined;
    if (entry.ignore) throw new RefusedTar(`entry at byte ${offset} has an unsupported type (${type})`);
    this.#entries += 1;
    this.onEntry(entry);
    if (blocks > 0) this.#state = { name: "body", skip: blocks };
  }

  #endMeta(entry: ReadEntry, text: string): void {
    this.#state = { name: "header" };
    switch (entry.type) {
      case "ExtendedHeader":
      case "OldExtendedHeader":
        this.#ex = Pax.parse(text, this.#ex, false);
        return;
      case "GlobalExtendedHeader":
        this.#gex = Pax.parse(text, this.#gex, true);
        return;
      case "NextFileHasLongPath":
      case "OldGnuLongPath": {
        const ex = this.#ex ?? blankExtended();
        ex.path = text.replace(/\0.*/, "");
        this.#ex = ex;
        return;
      }
      case "NextFileHasLongLinkpath": {
        const ex = this.#ex ?? blankExtended();
        ex.linkpath = text.replace(/\0.*/, "");
        this.#ex = ex;
        return;
      }
      default:
        throw new RefusedTar(`unsupported header type ${entry.type}`);
    }
  }

  #tail(chunk: Buffer): void {
    if (!isZero(chunk)) {
      const first = chunk.findIndex((byte) => byte !== 0);
      throw new RefusedTar(
        `data after the end-of-archive marker (a non-zero byte at ${this.#offset + this.#tailBytes + first})`,
      );
    }
    this.#tailBytes += chunk.length;
    if (this.#tailBytes > MAX_ZERO_TAIL_BYTES) {
      throw new RefusedTar(
        `more than ${MAX_ZERO_TAIL_BYTES} bytes of padding after the end-of-archive marker`,
      );
    }
  }
}
