// "Send an announcement to several circles" (/conversations/announce): for each chosen
// circle the facilitator leads, the same text is encrypted under that circle's own key,
// sent as an announcement and pinned. Each circle succeeds or fails on its own.
"use strict";

import * as id from "./identity.js";
import { CircleSession } from "./circle.js";
import { $, el, notice, busy, explain } from "./ui.js";

const root = $("announce");

async function sendTo(keys, user, circle, text) {
  const session = await new CircleSession(keys, user, circle).load();
  await session.maintain();
  const sent = await session.send(text, "announcement");
  await session.pin(sent.seq, true);
  return sent;
}

async function start() {
  const user = root.dataset.user;
  const state = await id.load(user);
  const keys = await id.unlocked(state);
  const form = $("announce-form");
  if (!keys) {
    notice("announce-notice", "This browser does not have your conversation keys yet: set them up or unlock them under Conversation keys and devices first.", "warning");
    form.querySelector("button[type=submit]").disabled = true;
    return;
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("announce-text").value.trim();
    const chosen = [...form.querySelectorAll("input[name=circle]:checked")];
    if (!text || chosen.length === 0) {
      notice("announce-notice", "Write the announcement and choose at least one circle.", "error");
      return;
    }
    busy(form.querySelector("button[type=submit]"), "Sending…", "announce-notice", async () => {
      const results = $("announce-results");
      results.replaceChildren();
      let sent = 0;
      for (const box of chosen) {
        const name = box.dataset.name;
        try {
          await sendTo(keys, user, box.value, text);
          sent++;
          results.append(el("li", { class: "sent", "data-circle": box.value }, `${name}: sent and pinned. `,
            el("a", { href: `/circles/${box.value}/conversation`, text: "Open" })));
        } catch (e) {
          results.append(el("li", { class: "failed", "data-circle": box.value, text: `${name}: not sent — ${explain(e)}` }));
        }
      }
      notice("announce-notice", `Sent to ${sent} of ${chosen.length} circles.`, sent === chosen.length ? "success" : "warning");
      if (sent === chosen.length) $("announce-text").value = "";
    });
  });
  root.dataset.ready = "true";
}

if (root) start().catch((e) => notice("announce-notice", explain(e), "error"));
