// Small DOM helpers shared by the conversation pages. Text always goes in as text (never
// as HTML), so nothing a message or a name holds can run as code.
"use strict";

export const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

export function show(id, visible = true) {
  const node = typeof id === "string" ? $(id) : id;
  if (node) node.hidden = !visible;
}

/** Shows a notice in `id` (kind: "", "success", "warning", "error"); empty text hides it. */
export function notice(id, text, kind = "") {
  const node = $(id);
  if (!node) return;
  node.textContent = text || "";
  node.className = `notice${kind ? " " + kind : ""}`;
  node.hidden = !text;
}

/** A time as the reader's browser shows times ("28 Nov 2026, 13:05"). */
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleString(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** Runs `work` with `button` disabled and a busy label, showing a failure in `noticeId`. */
export async function busy(button, label, noticeId, work) {
  const old = button ? button.textContent : "";
  if (button) {
    button.disabled = true;
    button.textContent = label;
  }
  try {
    return await work();
  } catch (e) {
    notice(noticeId, explain(e), "error");
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.textContent = old;
    }
  }
}

/** Words a person can act on for a failure. */
export function explain(e) {
  if (!e) return "Something went wrong.";
  if (e.name === "VerificationError") return `That did not work: ${e.message}.`;
  if (e.name === "ApiError") {
    if (e.status === 401) return "Your session has ended: sign in again.";
    if (e.status === 403 || e.status === 404) return "You cannot do that here (any more).";
    return e.message;
  }
  if (e instanceof TypeError) return "The server could not be reached. Check your connection and try again.";
  return e.message || String(e);
}
