// Search over a circle's decrypted messages, on the device only: an inverted index from
// words to message sequence numbers, built in memory and saved (encrypted by store.js) as
// the list of messages it was built from. The server never sees a query.
"use strict";

/** How many messages a circle's index keeps (the newest). */
export const INDEX_LIMIT = 20000;

/** Lower-case words without accents; letters and digits of any script. */
export function words(text) {
  return String(text)
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

export class SearchIndex {
  constructor() {
    /** seq → {seq, sent_at, sender, body} */
    this.docs = new Map();
    /** word → Set of seq */
    this.postings = new Map();
    this.sortedWords = null;
  }

  /** An index rebuilt from what `toJSON` saved. */
  static from(saved) {
    const index = new SearchIndex();
    if (saved && Array.isArray(saved.docs)) {
      for (const [seq, sent_at, sender, body] of saved.docs) index.add({ seq, sent_at, sender, body });
    }
    return index;
  }

  get size() {
    return this.docs.size;
  }

  has(seq) {
    return this.docs.has(seq);
  }

  add(doc) {
    if (this.docs.has(doc.seq)) return;
    this.docs.set(doc.seq, doc);
    for (const w of new Set(words(doc.body))) {
      let set = this.postings.get(w);
      if (!set) this.postings.set(w, (set = new Set()));
      set.add(doc.seq);
    }
    this.sortedWords = null;
  }

  /** Removes a message (deleted by its sender, or disappeared). */
  remove(seq) {
    const doc = this.docs.get(seq);
    if (!doc) return;
    this.docs.delete(seq);
    for (const w of new Set(words(doc.body))) {
      const set = this.postings.get(w);
      if (set) {
        set.delete(seq);
        if (set.size === 0) this.postings.delete(w);
      }
    }
    this.sortedWords = null;
  }

  /** Keeps the newest `limit` messages. */
  trim(limit = INDEX_LIMIT) {
    if (this.docs.size <= limit) return;
    const seqs = Array.from(this.docs.keys()).sort((a, b) => a - b);
    for (const seq of seqs.slice(0, seqs.length - limit)) this.remove(seq);
  }

  /** Messages holding every word of `query`; the last word also matches as a prefix (so
   * results come while typing). Newest first, at most `limit`. */
  search(query, limit = 50) {
    const terms = words(query);
    if (terms.length === 0) return [];
    let result = null;
    terms.forEach((term, i) => {
      const matches = i === terms.length - 1 ? this.prefixMatches(term) : this.postings.get(term) || new Set();
      result = result === null ? new Set(matches) : new Set([...result].filter((s) => matches.has(s)));
    });
    return Array.from(result)
      .sort((a, b) => b - a)
      .slice(0, limit)
      .map((seq) => this.docs.get(seq));
  }

  prefixMatches(prefix) {
    if (!this.sortedWords) this.sortedWords = Array.from(this.postings.keys()).sort();
    const list = this.sortedWords;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out = new Set();
    for (let i = lo; i < list.length && list[i].startsWith(prefix); i++) {
      for (const seq of this.postings.get(list[i])) out.add(seq);
    }
    return out;
  }

  /** What is saved: the messages only (the index is rebuilt from them on load). */
  toJSON() {
    return { v: 1, docs: Array.from(this.docs.values(), (d) => [d.seq, d.sent_at, d.sender, d.body]) };
  }
}
