// The conversation page (/circles/{id}/conversation): opens this device's keys, verifies
// the circle (warnings on screen), keeps its epoch keys current, shows and sends messages,
// stays live over a WebSocket, and searches on the device.
"use strict";

import * as id from "./identity.js";
import { CircleSession } from "./circle.js";
import { trustAnew } from "./roster.js";
import { Live } from "./live.js";
import { Finder } from "./finder.js";
import { $, el, show, notice, when, busy, explain } from "./ui.js";

const root = $("conversation");
const circle = root.dataset.circle;
const user = root.dataset.user;
const PAGE = 100;
const UNVERIFIED = "This message could not be verified.";

let session = null;
let live = null;
let finder = null;
const raw = new Map(); // seq → message as the API sent it
const shown = new Map(); // seq → what read() made of it
let lastSeq = 0;
let oldestSeq = null;

function status(text) {
  $("conv-status").textContent = text;
}

function renderWarnings() {
  const list = $("conv-warnings");
  list.replaceChildren();
  for (const w of session.verdict.warnings) list.append(el("li", { class: "notice warning", text: w }));
  for (const n of session.verdict.notices) list.append(el("li", { class: "notice", text: n }));
  if (session.verdict.canTrustAnew) {
    list.append(el("li", { class: "notice warning" },
      "If you have compared safety fingerprints with the circle's leader and they match: ",
      el("button", { type: "button", class: "secondary", id: "trust-anew", onclick: async () => {
        await trustAnew(session.store, circle);
        await refreshState();
      } }, "Trust this member list")));
  }
}

function renderRosterPanel() {
  const v = session.verdict;
  const needed = session.leads && (!v.roster || v.pending) && !v.canTrustAnew;
  show("roster-confirm", needed);
  if (!needed) return;
  const items = $("roster-changes");
  items.replaceChildren();
  if (!session.state.roster) items.append(el("li", { text: `First member list: ${session.state.members.map((m) => m.display_name).join(", ")}` }));
  if (v.roster && v.changes.joined.length) items.append(el("li", { text: `Joined: ${v.changes.joined.join(", ")}` }));
  if (v.roster && v.changes.left.length) items.append(el("li", { text: `Left: ${v.changes.left.join(", ")}` }));
  if (v.roster && v.changes.rekeyed.length) items.append(el("li", { text: `New keys or role: ${v.changes.rekeyed.join(", ")} — compare their safety fingerprints with them first.` }));
  const waiting = session.state.members.filter((m) => !m.identity_public).map((m) => m.display_name);
  if (waiting.length) items.append(el("li", { text: `Not set up yet (they get keys once they have and you confirm again): ${waiting.join(", ")}` }));
}

async function renderPeople() {
  const list = $("people-list");
  list.replaceChildren();
  for (const p of await session.people()) {
    const li = el("li", { class: "person" }, el("strong", { text: p.name }), ` · ${p.role.replace("_", "-")}`,
      p.confirmed ? "" : " · not yet on the confirmed list", p.hasKeys ? "" : " · has not set up keys");
    for (const d of p.devices) {
      li.append(el("p", { class: "hint" }, `${d.name}: `, el("code", { class: "fingerprint", text: d.fingerprint }), d.verified ? "" : " (not confirmed)"));
    }
    list.append(li);
  }
}

function messageItem(m) {
  const li = el("li", { class: `message${m.mine ? " mine" : ""}${m.kind === "announcement" ? " announcement" : ""}`, id: `m-${m.seq}`, "data-seq": String(m.seq) },
    el("p", { class: "meta" }, el("strong", { text: m.sender }), ` · ${when(m.sent_at)}`, m.pinned ? " · pinned" : "", m.kind === "announcement" ? " · announcement" : ""));
  if (m.deleted) li.append(el("p", { class: "tombstone", text: "Message deleted." }));
  else if (m.body === null) li.append(el("p", { class: "unverified", text: UNVERIFIED }));
  else li.append(el("p", { class: "body", text: m.body }));
  const actions = el("p", { class: "actions" });
  if (m.mine && !m.deleted) actions.append(el("button", { type: "button", class: "link delete", onclick: (ev) => busy(ev.target, "Deleting…", "conv-notice", () => session.remove(m.seq).then(() => markDeleted(m.seq))) }, "Delete"));
  if (session.leads && !m.deleted) {
    actions.append(el("button", { type: "button", class: "link pin", onclick: (ev) => busy(ev.target, "…", "conv-notice", () => session.pin(m.seq, !m.pinned).then(refreshState)) }, m.pinned ? "Unpin" : "Pin"));
  }
  if (actions.childNodes.length) li.append(actions);
  return li;
}

/** Decrypts and shows messages (any order; placed by sequence number). */
async function showMessages(list) {
  const ol = $("messages");
  for (const m of list) {
    raw.set(m.seq, m);
    const read = await session.read(m);
    shown.set(m.seq, read);
    finder.take(read);
    const item = messageItem(read);
    const old = document.getElementById(`m-${m.seq}`);
    if (old && old.parentNode === ol) {
      old.replaceWith(item);
    } else {
      const after = [...ol.children].find((li) => Number(li.dataset.seq) > m.seq);
      ol.insertBefore(item, after || null);
    }
    lastSeq = Math.max(lastSeq, m.seq);
    oldestSeq = oldestSeq === null ? m.seq : Math.min(oldestSeq, m.seq);
  }
  finder.save();
  root.dataset.lastSeq = String(lastSeq);
}

function markDeleted(seq) {
  const m = raw.get(seq);
  if (m) showMessages([{ ...m, deleted: true, ciphertext: null, signature: null }]);
  finder.drop(seq);
}

async function renderPinned() {
  const pinned = session.state.pinned || [];
  show("pinned", pinned.length > 0);
  const ol = $("pinned-list");
  ol.replaceChildren();
  for (const m of pinned) {
    const read = await session.read(m);
    ol.append(el("li", { class: "message announcement" },
      el("p", { class: "meta" }, el("strong", { text: read.sender }), ` · ${when(read.sent_at)}`),
      el("p", { class: read.body === null ? "unverified" : "body", text: read.deleted ? "Message deleted." : read.body === null ? UNVERIFIED : read.body })));
  }
}

function renderSettings() {
  const s = session.state.settings || {};
  $("mute").checked = !!session.state.muted;
  if ($("share-history")) {
    $("share-history").checked = !!s.share_history;
    $("disappearing").value = s.disappearing_days ? String(s.disappearing_days) : "";
  }
}

/** Reloads the circle's state (after a change the live connection announced, or an
 * action here), repairs the epoch when due, and shows everything that depends on it. */
async function refreshState() {
  await session.load();
  if (await session.maintain().catch((e) => { notice("conv-notice", explain(e), "error"); return false; })) {
    // maintain() reloaded already.
  }
  renderWarnings();
  renderRosterPanel();
  renderSettings();
  await renderPinned();
  await renderPeople();
  // Messages that failed for want of a key may open now.
  const retry = [...shown.values()].filter((m) => m.body === null && !m.deleted).map((m) => raw.get(m.seq));
  if (retry.length) await showMessages(retry);
  const canSend = session.state.epoch && !session.state.epoch.closed && session.epochKeys.has(session.state.epoch.number);
  show("send-form", true);
  status(canSend ? "Messages here are end-to-end encrypted: only the circle's members can read them." : session.cannotSendReason());
}

async function loadOlder() {
  const before = oldestSeq === null ? lastSeq + 1 : oldestSeq;
  const page = await session.messages(`before=${before}&limit=${PAGE}`);
  await showMessages(page.messages || []);
  show("older", (page.messages || []).length === PAGE);
}

function markRead() {
  if (document.visibilityState !== "visible" || lastSeq === 0) return;
  if (!live || !live.send({ type: "read", seq: lastSeq })) session.markRead(lastSeq).catch(() => {});
}

function startLive() {
  live = new Live(circle, () => lastSeq, {
    messages: async (list) => {
      // Follow the conversation when the reader is at its end; leave him where he reads.
      const atEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
      await showMessages(list);
      const last = $("messages").lastElementChild;
      if (atEnd && last && list.length) last.scrollIntoView({ block: "end" });
      markRead();
    },
    changed: async (frame) => {
      if (frame.what === "deleted" && frame.seq) markDeleted(frame.seq);
      else await refreshState();
    },
    state: (text, open) => {
      $("live-status").textContent = text;
      const wasOpen = root.dataset.live === "open";
      root.dataset.live = open ? "open" : "closed";
      // Changes to members, keys or settings made while no socket was open are not replayed
      // as frames (only messages are): read the state again on every (re)connection.
      if (open && !wasOpen) {
        refreshState().catch((e) => notice("conv-notice", explain(e), "error"));
      }
    },
    gone: () => {
      root.dataset.live = "gone";
      notice("conv-notice", "You are no longer in this circle, so this conversation is closed to you.", "warning");
      show("send-form", false);
    },
  });
  live.start();
}

function wireForms() {
  $("send-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("message-input");
    const text = input.value.trim();
    if (!text) return;
    const announce = $("as-announcement") && $("as-announcement").checked;
    busy(ev.target.querySelector("button[type=submit]"), "Sending…", "conv-notice", async () => {
      const sent = await session.send(text, announce ? "announcement" : "text");
      input.value = "";
      if ($("as-announcement")) $("as-announcement").checked = false;
      notice("conv-notice", "");
      await showMessages([sent]);
      if (announce) {
        await session.pin(sent.seq, true);
        await refreshState();
      }
    });
  });
  $("older").addEventListener("click", (ev) => busy(ev.target, "Loading…", "conv-notice", loadOlder));
  $("roster-sign").addEventListener("click", (ev) => busy(ev.target, "Signing…", "conv-notice", async () => {
    await session.signRoster();
    await refreshState();
    notice("conv-notice", "The member list is confirmed; the circle's key is shared with everyone on it.", "success");
  }));
  $("mute").addEventListener("change", (ev) => session.mute(ev.target.checked).catch((e) => notice("conv-notice", explain(e), "error")));
  const settings = $("settings-form");
  if (settings) settings.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const days = $("disappearing").value;
    busy(ev.target.querySelector("button[type=submit]"), "Saving…", "conv-notice", async () => {
      await session.saveSettings({ share_history: $("share-history").checked, disappearing_days: days ? Number(days) : null });
      notice("conv-notice", "Settings saved.", "success");
    });
  });
  document.addEventListener("visibilitychange", markRead);
}

async function start() {
  const state = await id.load(user);
  const keys = await id.unlocked(state);
  if (!keys) {
    status("");
    const link = el("a", { href: "/account/devices", text: "Set up or unlock your keys" });
    $("conv-warnings").append(el("li", { class: "notice warning" },
      state.status === id.Status.NO_IDENTITY ? "This conversation is end-to-end encrypted, and you have no keys yet. " : "This browser does not have your keys yet. ",
      link, " to read and write here."));
    root.dataset.ready = "no-keys";
    return;
  }
  session = new CircleSession(keys, user, circle);
  finder = await Finder.open(session, (seq) => document.getElementById(`m-${seq}`));
  wireForms();
  await refreshState();
  const first = await session.messages(`before=${session.state.last_seq + 1}&limit=${PAGE}`);
  await showMessages(first.messages || []);
  show("older", (first.messages || []).length === PAGE);
  lastSeq = Math.max(lastSeq, first.last_seq || 0);
  markRead();
  startLive();
  finder.backfill();
  root.dataset.ready = "true";
}

start().catch((e) => {
  status("");
  notice("conv-notice", `The conversation could not be opened: ${explain(e)}`, "error");
  root.dataset.ready = "failed";
});
