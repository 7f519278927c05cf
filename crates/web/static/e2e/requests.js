// The leaders' queue of join requests: opens each message sealed to this browser's
// device. A message sealed to another of the leader's devices says so; nothing that fails
// to open is ever shown as text.
"use strict";

import * as c from "./crypto.js";
import { databaseName, openStore } from "./store.js";

const root = document.getElementById("requests");

/** This browser's device for `user` ({id, ecdh}), or null, without creating a store. */
async function thisDevice(user) {
  if (indexedDB.databases) {
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes(databaseName(user))) return null;
  }
  const store = await openStore(user);
  try {
    return (await store.device()) || null;
  } finally {
    store.close();
  }
}

function say(item, text) {
  item.querySelector(".sealed-status").textContent = text;
}

async function open(item, device) {
  const sealed = JSON.parse(item.dataset.sealed);
  if (!device) {
    say(item, "Their message is sealed to the facilitators' devices, and this browser has no conversation keys: open this page on a device with your keys (see Devices and keys).");
    return;
  }
  try {
    const text = await c.openJoinMessage({
      circle: root.dataset.circle,
      requester: item.dataset.requester,
      device: device.id,
      ecdhPrivate: device.ecdh.privateKey,
      sealed,
    });
    if (text === null) {
      say(item, "Their message is sealed for another of your devices (or a co-facilitator's): open this page there to read it.");
      return;
    }
    const quote = item.querySelector("blockquote.opened");
    quote.textContent = text;
    quote.hidden = false;
    say(item, "Their message, opened in this browser:");
    item.dataset.opened = "yes";
  } catch (e) {
    say(item, "Their message could not be verified: it does not open with this device's key.");
  }
}

if (root) {
  const items = root.querySelectorAll(".sealed-message");
  if (items.length > 0) {
    thisDevice(root.dataset.user)
      .catch(() => null)
      .then(async (device) => {
        for (const item of items) await open(item, device);
      });
  }
}
