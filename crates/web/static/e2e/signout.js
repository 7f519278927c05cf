// The sign-out form on every signed-in page: sends the id of this browser's conversation
// device, so the server revokes it while the browser's storage (the device's keys) is
// cleared; it then stops receiving keys and his circles see it gone. Without JavaScript
// nothing is sent and nothing is revoked.
"use strict";

import { databaseName, openStore } from "./store.js";

const form = document.querySelector("form.signout[data-user]");

/** This browser's device id for `user`, or null, without creating a store. */
async function thisDeviceId(user) {
  if (indexedDB.databases) {
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes(databaseName(user))) return null;
  }
  const store = await openStore(user);
  try {
    const device = await store.device();
    return device ? device.id : null;
  } finally {
    store.close();
  }
}

if (form) {
  form.addEventListener("submit", async (ev) => {
    if (form.dataset.named === "done") return;
    ev.preventDefault();
    try {
      const id = await thisDeviceId(form.dataset.user);
      if (id) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "device_id";
        input.value = id;
        form.append(input);
      }
    } catch (e) {
      // Signing out matters more than naming the device: go on without it.
    }
    form.dataset.named = "done";
    form.submit();
  });
}
