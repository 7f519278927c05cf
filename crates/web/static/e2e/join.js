// The "Ask to join" form: seals the message to the circle leaders' certified devices, so
// that only they can read it, and sends the sealed form instead of the text. When no
// leader has a device yet (or sealing fails), the text goes as it would without
// JavaScript and the server keeps it encrypted at rest with its own key.
"use strict";

import * as c from "./crypto.js";
import * as api from "./api.js";

const form = document.getElementById("join-form");

/** The leader devices whose certificate the leader's identity key signed. */
async function certifiedLeaderDevices(circle) {
  const devices = await api.get(`/circles/${circle}/leader-devices`);
  const out = [];
  for (const d of devices) {
    const device = { user: d.user_id, device: d.device_id, ecdh: d.ecdh_public, sign: d.signing_public, certificate: d.certificate };
    if (await c.verifyDeviceCertificate(d.identity_public, device)) out.push(d);
  }
  return out;
}

async function seal(box, hidden) {
  const text = box.value.trim();
  if (!text || [...text].length > 500) return; // nothing to seal, or the server explains the limit
  const devices = await certifiedLeaderDevices(form.dataset.circle);
  if (devices.length === 0) return;
  const sealed = await c.sealJoinMessage({ circle: form.dataset.circle, requester: form.dataset.user, text, devices });
  hidden.value = JSON.stringify(sealed);
  // A disabled field is not sent: the text stays on screen, only the sealed form leaves.
  box.disabled = true;
}

if (form) {
  form.addEventListener("submit", async (ev) => {
    if (form.dataset.sealing === "done") return;
    ev.preventDefault();
    const box = form.querySelector("textarea[name=message]");
    const hidden = form.querySelector("input[name=message_sealed]");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      await seal(box, hidden);
    } catch (e) {
      // The request must not be lost: the text goes as without JavaScript.
      hidden.value = "";
      box.disabled = false;
    }
    form.dataset.sealing = "done";
    form.submit();
  });
}
