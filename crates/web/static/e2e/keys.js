// The keys and devices page (/account/devices): first-time set-up with the recovery key
// shown once, unlocking a new device (recovery key, passphrase, or approval from another
// device), the list of devices with their safety fingerprints, revoking, changing the
// passphrase, a new recovery key, and starting fresh keys.
"use strict";

import * as c from "./crypto.js";
import * as bk from "./backup.js";
import * as id from "./identity.js";
import { $, el, show, notice, when, busy } from "./ui.js";

const root = $("keys");
const SECTIONS = ["setup", "recovery-shown", "unlock", "pending", "revoked", "ready", "fresh", "devices-section"];
let state = null;
let polling = null;

function only(...visible) {
  for (const s of SECTIONS) show(s, visible.includes(s));
}

async function refresh(message, kind) {
  state = await id.load(root.dataset.user);
  root.dataset.status = state.status;
  notice("keys-notice", message || "", kind || "success");
  if (state.status === id.Status.LOCKED && (await id.resume(state, id.defaultDeviceName()))) {
    root.dataset.status = state.status;
  }
  for (const input of document.querySelectorAll("input.device-name")) {
    if (!input.value) input.value = id.defaultDeviceName();
  }
  switch (state.status) {
    case id.Status.NO_IDENTITY:
      only("setup");
      break;
    case id.Status.LOCKED:
      show("unlock-passphrase", !!state.identity && bk.backupHasPassphrase(state.identity.backup));
      only("unlock", "fresh", "devices-section");
      break;
    case id.Status.PENDING:
      $("pending-fingerprint").textContent = await c.deviceFingerprint(state.identity.identity_public, state.device.signingPublic, state.device.ecdhPublic);
      only("pending", "devices-section");
      waitForApproval();
      break;
    case id.Status.REVOKED:
      only("revoked", "unlock", "fresh", "devices-section");
      break;
    default:
      $("has-passphrase").textContent = bk.backupHasPassphrase(state.identity.backup)
        ? "Your backup can also be opened with your passphrase."
        : "Your backup has no passphrase: only your recovery key opens it.";
      only("ready", "fresh", "devices-section");
  }
  await listDevices();
  $("keys-status").textContent = statusLine();
}

function statusLine() {
  switch (state.status) {
    case id.Status.NO_IDENTITY: return "You have not set up conversation keys yet.";
    case id.Status.LOCKED: return "Your keys exist, but this browser does not have them yet.";
    case id.Status.PENDING: return "This browser waits for approval from one of your devices.";
    case id.Status.REVOKED: return "This browser's device was revoked.";
    default: return "This browser is ready for your circles' conversations.";
  }
}

async function listDevices() {
  const list = $("device-list");
  list.replaceChildren();
  const mine = state.device && state.device.id;
  for (const d of state.devices) {
    const fp = state.identity
      ? await c.deviceFingerprint(state.identity.identity_public, d.signing_public, d.ecdh_public).catch(() => "")
      : "";
    const status = d.revoked_at ? `Revoked ${when(d.revoked_at)}` : d.pending || !d.certificate ? "Waiting for approval" : `Last used ${when(d.last_seen_at)}`;
    const li = el("li", { class: "device", "data-device": d.id },
      el("p", {}, el("strong", { text: d.name }), d.id === mine ? " (this browser)" : ""),
      el("p", { class: "hint" }, `Added ${when(d.created_at)} · ${status}`),
      fp ? el("p", {}, "Safety fingerprint: ", el("code", { class: "fingerprint", text: fp })) : null,
    );
    if (!d.revoked_at && state.status === id.Status.READY && d.id !== mine && (d.pending || !d.certificate)) {
      li.append(el("button", { type: "button", class: "approve", onclick: () => approve(d, fp, li) }, "Approve this device"));
    }
    if (!d.revoked_at) {
      li.append(el("button", { type: "button", class: "secondary revoke", onclick: () => confirmRevoke(d, li) }, "Revoke"));
    }
    list.append(li);
  }
  if (state.devices.length === 0) list.append(el("li", { text: "No devices yet." }));
}

function confirmRevoke(d, li) {
  if (li.querySelector(".confirm")) return;
  const box = el("div", { class: "confirm notice warning", role: "alert" },
    el("p", { text: `Revoke "${d.name}"? It will not receive new messages, and every circle you are in starts new keys.` }),
    el("button", { type: "button", class: "danger confirm-revoke", onclick: async (ev) => {
      await busy(ev.target, "Revoking…", "keys-notice", async () => {
        await id.revoke(state, d.id);
        await refresh(`"${d.name}" was revoked.`);
      });
    } }, "Yes, revoke it"),
    el("button", { type: "button", class: "secondary", onclick: () => box.remove() }, "Keep it"),
  );
  li.append(box);
}

function approve(d, fp, li) {
  if (li.querySelector(".confirm")) return;
  const box = el("div", { class: "confirm notice warning", role: "alert" },
    el("p", { text: `Approve "${d.name}" only if the new device shows this same fingerprint:` }),
    el("p", {}, el("code", { class: "fingerprint", text: fp })),
    el("button", { type: "button", class: "confirm-approve", onclick: async (ev) => {
      await busy(ev.target, "Approving…", "keys-notice", async () => {
        await id.approve(state, d);
        await refresh(`"${d.name}" is approved and can read your circles' history.`);
      });
    } }, "Yes, the fingerprints match"),
    el("button", { type: "button", class: "secondary", onclick: () => box.remove() }, "Cancel"),
  );
  li.append(box);
}

function waitForApproval() {
  if (polling) return;
  polling = setInterval(async () => {
    try {
      if (await id.checkApproval(state)) {
        clearInterval(polling);
        polling = null;
        await refresh("This browser was approved: your conversations are ready here.");
      }
    } catch (e) {
      clearInterval(polling);
      polling = null;
      notice("keys-notice", `The approval did not work: ${e.message}`, "error");
    }
  }, 3000);
}

function passphraseOk(a, b, noticeId) {
  if (a !== b) {
    notice(noticeId, "The two passphrases are not the same.", "error");
    return false;
  }
  if (a && a.length < 10) {
    notice(noticeId, "Use a passphrase of at least 10 characters, or none.", "error");
    return false;
  }
  return true;
}

function on(formId, handler) {
  const form = $(formId);
  if (form) form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    handler(form, form.querySelector("button[type=submit]"));
  });
}

on("setup-form", async (form, button) => {
  const passphrase = $("setup-passphrase").value;
  if (!passphraseOk(passphrase, $("setup-passphrase-again").value, "keys-notice")) return;
  await busy(button, "Creating keys…", "keys-notice", async () => {
    const text = await id.setUp(state, { name: $("setup-name").value.trim() || id.defaultDeviceName(), passphrase });
    $("recovery-key").textContent = text;
    notice("keys-notice", "");
    only("recovery-shown");
  });
});

on("unlock-recovery", async (form, button) => {
  await busy(button, "Unlocking…", "keys-notice", async () => {
    await id.unlockWithRecoveryKey(state, { name: $("unlock-name").value.trim() || id.defaultDeviceName(), recoveryKey: $("recovery-input").value });
    await refresh("This browser is unlocked: your circles' history is readable here.");
  });
});

on("unlock-passphrase", async (form, button) => {
  await busy(button, "Unlocking… (this takes a few seconds)", "keys-notice", async () => {
    await id.unlockWithPassphrase(state, { name: $("unlock-name").value.trim() || id.defaultDeviceName(), passphrase: $("passphrase-input").value });
    await refresh("This browser is unlocked: your circles' history is readable here.");
  });
});

on("passphrase-form", async (form, button) => {
  const passphrase = $("new-passphrase").value;
  if (!passphraseOk(passphrase, $("new-passphrase-again").value, "keys-notice")) return;
  await busy(button, "Saving…", "keys-notice", async () => {
    await id.changePassphrase(state, passphrase);
    form.reset();
    await refresh(passphrase ? "Your passphrase is saved." : "Your passphrase is removed.");
  });
});

$("request-approval").addEventListener("click", (ev) => busy(ev.target, "Asking…", "keys-notice", async () => {
  await id.requestApproval(state, { name: $("unlock-name").value.trim() || id.defaultDeviceName() });
  await refresh("Open this page on a device you already use and approve this one.", "warning");
}));

$("recovery-done").addEventListener("click", () => {
  $("recovery-key").textContent = "";
  refresh("Your keys are ready. Keep the recovery key somewhere safe.");
});

$("new-recovery-key").addEventListener("click", (ev) => busy(ev.target, "Making a new key…", "keys-notice", async () => {
  $("recovery-key").textContent = await id.newRecoveryKey(state);
  notice("keys-notice", "Your old recovery key no longer works.", "warning");
  only("recovery-shown");
}));

$("start-fresh").addEventListener("click", () => show("fresh-confirm", true));
$("fresh-cancel").addEventListener("click", () => show("fresh-confirm", false));
$("fresh-yes").addEventListener("click", (ev) => busy(ev.target, "Starting fresh…", "keys-notice", async () => {
  await id.startFresh(state);
  show("fresh-confirm", false);
  await refresh("Your old keys are gone. Set up new ones; your circles' leaders will confirm them.", "warning");
}));

refresh().catch((e) => notice("keys-notice", `This page could not load your keys: ${e.message}`, "error"));
