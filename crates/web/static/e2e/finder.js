// The conversation page's search box: keeps the circle's on-device index (search.js) fed
// with every message this device decrypts, saved encrypted (store.js), fills it with older
// history in the background up to the last 5,000 messages, and shows the results.
"use strict";

import { SearchIndex, INDEX_LIMIT } from "./search.js";
import { $, el, show, when } from "./ui.js";

/** How far back the background fill goes. */
const HISTORY = 5000;
const SAVE_AFTER_MS = 1500;

export class Finder {
  static async open(session, locate) {
    let saved = null;
    try {
      saved = await session.store.loadSearch(session.circle);
    } catch (e) {
      saved = null; // an index from older keys: start again
    }
    const f = new Finder(session, SearchIndex.from(saved), locate);
    f.floor = saved && Number.isInteger(saved.floor) ? saved.floor : null;
    f.wire();
    return f;
  }

  constructor(session, index, locate) {
    this.session = session;
    this.index = index;
    this.locate = locate;
    this.timer = null;
    /** Every message from `floor` up to the newest seen is in the index. */
    this.floor = null;
  }

  take(read) {
    if (read.deleted) this.index.remove(read.seq);
    else if (read.body !== null) this.index.add({ seq: read.seq, sent_at: read.sent_at, sender: read.sender, body: read.body });
  }

  drop(seq) {
    this.index.remove(seq);
    this.save();
  }

  save() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.index.trim(INDEX_LIMIT);
      const data = { ...this.index.toJSON(), floor: this.floor };
      this.session.store.saveSearch(this.session.circle, data).catch(() => {});
    }, SAVE_AFTER_MS);
  }

  /** Pages back through older messages, decrypting and indexing (not showing) them, until
   * the last 5,000 are in or the history begins. */
  async backfill() {
    const last = this.session.state.last_seq;
    let before = this.floor === null ? last + 1 : this.floor;
    try {
      while (before > 1 && last - before < HISTORY) {
        const page = await this.session.messages(`before=${before}&limit=200`);
        const list = page.messages || [];
        for (const m of list) {
          if (!this.index.has(m.seq)) this.take(await this.session.read(m));
        }
        before = list.length ? list[0].seq : 1;
        this.floor = before;
        this.save();
        if (list.length < 200) break;
      }
    } catch (e) {
      // Search keeps what it has; the next visit goes on from `floor`.
    }
  }

  wire() {
    show("search-form", true);
    const input = $("search-input");
    $("search-form").addEventListener("submit", (ev) => ev.preventDefault());
    input.addEventListener("input", () => this.showResults(input.value));
  }

  showResults(query) {
    const started = performance.now();
    const results = this.index.search(query, 50);
    const ms = performance.now() - started;
    const list = $("search-results");
    list.replaceChildren();
    if (!query.trim()) {
      $("search-summary").textContent = "";
      return;
    }
    $("search-summary").textContent = `${results.length === 50 ? "50+" : results.length} found in ${this.index.size} messages on this device (${ms.toFixed(0)} ms).`;
    $("search-summary").dataset.count = String(results.length);
    for (const doc of results) {
      const item = el("li", { class: "message result", "data-seq": String(doc.seq) },
        el("p", { class: "meta" }, el("strong", { text: doc.sender }), ` · ${when(doc.sent_at)}`),
        el("p", { class: "body", text: doc.body }));
      const target = this.locate(doc.seq);
      if (target) {
        item.append(el("button", { type: "button", class: "link", onclick: () => target.scrollIntoView({ block: "center" }) }, "Show in the conversation"));
      }
      list.append(item);
    }
  }
}
