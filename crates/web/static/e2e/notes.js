// Meeting notes inside the circle's boundary, on the meetings page (/circles/{id}/meetings).
// With this device's conversation keys, members and leaders read the notes sealed under the
// circle's epoch keys; a leader writes and edits notes sealed, and seals every note still
// pending (written without the keys and kept by the server under its own field key) as
// soon as he opens the page: the server deletes the pending copy in the same step. Without
// keys the page says so and links to the conversation, where they are set up or unlocked.
"use strict";

import * as id from "./identity.js";
import * as c from "./crypto.js";
import * as api from "./api.js";
import { CircleSession } from "./circle.js";
import { $, el, notice, busy, explain } from "./ui.js";

const root = $("meeting-notes");
const NOTE_MAX = 500;
const SEALED = "Sealed with the circle's keys: only its members and leaders can read it.";
const PENDING = "Pending sealing: the first leader's browser with the circle's keys seals it.";
const UNREADABLE = "This note could not be decrypted or verified on this device.";
const NO_KEY = "This note is sealed with a key of the circle this device does not have.";
const NO_KEYS = "This device has no conversation keys open, so it cannot read the sealed note.";

/** What a meeting's note box shows: {state, text, status}. */
async function opened(session, m) {
  if (m.note_sealed) {
    if (!session) return { state: "locked", text: "", status: NO_KEYS };
    const key = session.epochKeys.get(m.note_epoch);
    if (!key) return { state: "unreadable", text: "", status: NO_KEY };
    try {
      const text = await c.openNote({ epochKey: key, circle: session.circle, meeting: m.id, epoch: m.note_epoch, sealed: m.note_sealed });
      return { state: "open", text, status: SEALED };
    } catch (e) {
      return { state: "unreadable", text: "", status: UNREADABLE };
    }
  }
  if (m.note) return { state: "pending", text: m.note, status: PENDING };
  return { state: "none", text: "", status: "" };
}

function paint(box, { state, text, status }) {
  box.dataset.state = state;
  box.querySelector(".note-text").textContent = text;
  box.querySelector(".note-status").textContent = status;
  box.hidden = state === "none";
}

/** The open epoch's number and key, starting or repairing the epoch when due. */
async function writingKey(session) {
  const current = () => {
    const open = session.state.epoch;
    const key = open && !open.closed && session.epochKeys.get(open.number);
    return key ? { epoch: open.number, key } : null;
  };
  if (current()) return current();
  await session.maintain();
  const found = current();
  if (!found) throw new Error(session.cannotSendReason());
  return found;
}

/** Seals `text` as meeting `meeting`'s note and stores it (the plain copy is deleted). */
async function seal(session, meeting, text) {
  const { epoch, key } = await writingKey(session);
  const sealed = await c.sealNote({ epochKey: key, circle: session.circle, meeting, epoch, text });
  return api.put(`/meetings/${meeting}/note/sealed`, { note_sealed: sealed, epoch });
}

/** Leaders: every pending note on the page is sealed now. */
async function sealPending(session, meetings, boxes) {
  let failed = 0;
  for (const m of meetings.filter((x) => x.note && !x.note_sealed && boxes.has(x.id))) {
    try {
      await seal(session, m.id, m.note);
      paint(boxes.get(m.id), { state: "open", text: m.note, status: SEALED });
    } catch (e) {
      failed++;
      notice("notes-notice", `A pending note could not be sealed: ${explain(e)}`, "warning");
    }
  }
  return failed;
}

/** Leaders: a "write/edit the note" button and its form after the meeting's note box. */
function addEditor(session, box) {
  const meeting = box.dataset.meeting;
  const area = el("textarea", { id: `note-input-${meeting}`, rows: 3, maxlength: String(NOTE_MAX) });
  const save = el("button", { type: "submit" }, "Save the sealed note");
  const form = el("form", { class: "note-editor", "data-meeting": meeting, hidden: true },
    el("div", { class: "field" }, el("label", { for: area.id, text: "Note, sealed with the circle's keys" }), area), save);
  const toggle = el("button", { type: "button", class: "secondary note-edit", "data-meeting": meeting },
    box.dataset.state === "none" ? "Write a note" : "Edit the note");
  toggle.addEventListener("click", () => {
    form.hidden = !form.hidden;
    if (form.hidden) return;
    const readable = box.dataset.state === "open" || box.dataset.state === "pending";
    area.value = readable ? box.querySelector(".note-text").textContent : "";
    area.focus();
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = area.value.trim();
    if (!text) {
      notice("notes-notice", "Write the note first.", "error");
      return;
    }
    busy(save, "Sealing…", "notes-notice", async () => {
      await seal(session, meeting, text);
      paint(box, { state: "open", text, status: SEALED });
      form.hidden = true;
      toggle.textContent = "Edit the note";
      notice("notes-notice", "The note is sealed and saved.", "success");
    });
  });
  box.after(toggle, form);
}

function sayNoKeys(circle, leads) {
  const node = $("notes-notice");
  const why = leads
    ? "This browser does not have your conversation keys open, so it cannot read sealed notes, write them, or seal pending ones. "
    : "This browser does not have your conversation keys open, so it cannot read sealed notes. ";
  node.replaceChildren(why, el("a", { href: `/circles/${circle}/conversation`, text: "Set up or unlock your keys on the conversation page" }), ".");
  node.className = "notice warning";
  node.hidden = false;
}

async function start() {
  const { circle, user } = root.dataset;
  const leads = root.dataset.leads === "true";
  const boxes = new Map([...document.querySelectorAll(".meeting-note")].map((b) => [b.dataset.meeting, b]));
  const meetings = (await api.get(`/circles/${circle}/meetings`)) || [];
  const keys = await id.unlocked(await id.load(user));
  const session = keys ? await new CircleSession(keys, user, circle).load() : null;
  for (const m of meetings) {
    if (boxes.has(m.id)) paint(boxes.get(m.id), await opened(session, m));
  }
  if (!session) {
    if (leads || meetings.some((m) => m.note_sealed)) sayNoKeys(circle, leads);
  } else if (leads) {
    await sealPending(session, meetings, boxes);
    for (const box of boxes.values()) if (!box.closest(".cancelled")) addEditor(session, box);
  }
  root.dataset.ready = "true";
}

if (root) {
  start().catch((e) => {
    notice("notes-notice", `Sealed notes could not be opened: ${explain(e)}`, "error");
    root.dataset.ready = "true";
  });
}
