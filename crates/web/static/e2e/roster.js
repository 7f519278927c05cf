// Who may read a circle's conversation, decided on this device and never taken from the
// server alone: the latest member list (roster) a leader's device signed, checked against
// what this device saw before (trust on first use), the device certificates under the
// identity keys on that roster, and the server's current membership (the server may remove
// a reader, never add one). Everything unusual becomes a warning the page shows.
"use strict";

import * as c from "./crypto.js";

/** The verdict on a circle's state: trusted roster, the devices keys go to, the signing
 * keys messages are checked with, the differences a leader must confirm, and warnings. */
export class Verdict {
  constructor() {
    this.roster = null; // parsed roster body, when it verified
    this.warnings = [];
    this.notices = [];
    /** device id → {user, name, signing, ecdh} for every device whose certificate verified
     * (members now, and devices seen before, for history). */
    this.devices = new Map();
    /** device ids that get the circle's keys: current members on the signed roster, not
     * revoked, certified under the roster's identity key. */
    this.recipients = [];
    /** {joined: [names], left: [names], rekeyed: [names]} between the roster and the server. */
    this.changes = { joined: [], left: [], rekeyed: [] };
    /** The roster failed only because its signer is unknown here (see signerOk). */
    this.canTrustAnew = false;
  }

  get pending() {
    const ch = this.changes;
    return ch.joined.length + ch.left.length + ch.rekeyed.length > 0;
  }
}

/** Checks `state` (GET /circles/{id}/conversation) with what `store` remembers. `me` is
 * {user, identityPublic}. Updates the remembered pins as it goes. */
export async function verify(state, store, me) {
  const v = new Verdict();
  const circle = state.circle_id;
  const members = new Map(state.members.map((m) => [m.user_id, m]));
  await checkIdentities(state, store, v);
  v.roster = await checkRoster(state, store, members, v);
  const roster = v.roster;
  const onRoster = new Map((roster ? roster.members : []).map((m) => [m.user, m]));
  for (const m of state.members) {
    const r = onRoster.get(m.user_id);
    const own = m.user_id === me.user;
    const identity = own ? me.identityPublic : r && r.identity;
    for (const d of m.devices || []) {
      const body = { user: m.user_id, device: d.id, ecdh: d.ecdh_public, sign: d.signing_public, certificate: d.certificate };
      if (!identity || !(await c.verifyDeviceCertificate(identity, body))) continue;
      const known = { user: m.user_id, name: m.display_name, device: d.name, signing: d.signing_public, ecdh: d.ecdh_public };
      v.devices.set(d.id, known);
      await pinDevice(store, d.id, known, m, v);
      const eligible = r && r.identity && (own ? r.identity === me.identityPublic : true) && !d.revoked;
      if (eligible && roster) v.recipients.push(d.id);
    }
  }
  // Devices seen before (members who left) still verify the history they wrote.
  for (const [key, known] of await store.entries("trust", "device:")) {
    const id = key.slice("device:".length);
    if (!v.devices.has(id)) v.devices.set(id, known);
  }
  const names = new Map((await store.entries("trust", "identity:")).map(([k, t]) => [k.slice("identity:".length), t.name]));
  diff(state, members, roster, names, v);
  if (roster && roster.circle !== circle) {
    v.warnings.push("The member list belongs to another circle. Nobody receives new keys until a leader signs a new one.");
    v.roster = null;
    v.recipients = [];
  }
  return v;
}

/** Trust on first use of every identity key the server shows; a change is a warning. */
async function checkIdentities(state, store, v) {
  for (const m of state.members) {
    if (!m.identity_public) continue;
    const digest = await c.keyDigest(m.identity_public);
    const pinned = await store.trust(`identity:${m.user_id}`);
    if (pinned && pinned.digest !== digest) {
      v.warnings.push(`${m.display_name}'s keys changed. If he did not start fresh keys himself, tell a leader before you write anything.`);
    }
    if (!pinned || pinned.digest !== digest) {
      await store.setTrust(`identity:${m.user_id}`, { digest, name: m.display_name });
    }
  }
}

async function pinDevice(store, id, known, member, v) {
  const pinned = await store.trust(`device:${id}`);
  if (pinned && (pinned.signing !== known.signing || pinned.ecdh !== known.ecdh)) {
    v.warnings.push(`A device of ${member.display_name} ("${known.device}") now has different keys.`);
  }
  if (!pinned || pinned.signing !== known.signing || pinned.ecdh !== known.ecdh || pinned.name !== known.name) {
    await store.setTrust(`device:${id}`, known);
  }
}

/** The signed roster, when it verifies: signed by a device of a leader (a leader of the
 * roster this device trusted before, or of this roster when it is the first one seen),
 * whose certificate verifies under that leader's identity key, and not older than the
 * roster seen before. Returns the parsed roster or null (with a warning). */
async function checkRoster(state, store, members, v) {
  const pinned = await store.trust(`roster:${state.circle_id}`);
  const signed = state.roster;
  if (!signed) {
    if (pinned) v.warnings.push("The server no longer shows the circle's signed member list.");
    return null;
  }
  let roster;
  try {
    roster = c.parseRoster(signed.body);
  } catch (e) {
    v.warnings.push("The circle's member list is not readable. Nobody receives new keys until a leader signs a new one.");
    return null;
  }
  const previous = pinned ? c.parseRoster(pinned.body) : null;
  if (roster.version !== signed.version || (previous && roster.version < previous.version)) {
    v.warnings.push("The server showed an older member list than this device saw before.");
    return previous && (await signerOk(previous, pinned, members, previous, store, v)) ? previous : null;
  }
  if (!(await signerOk(roster, signed, members, previous || roster, store, v))) return null;
  if (!pinned || pinned.version !== roster.version) {
    await store.setTrust(`roster:${state.circle_id}`, { version: roster.version, body: signed.body, signer_device_id: signed.signer_device_id, signature: signed.signature });
  }
  return roster;
}

async function signerOk(roster, signed, members, authority, store, v) {
  const signer = await signerOf(signed.signer_device_id, members, authority, store);
  const leader = signer && authority.members.find((x) => x.user === signer.user && c.isLeaderRole(x.role));
  if (!signer || !leader) {
    // A leader who started fresh keys cannot be told from an impostor by this device: the
    // person checks fingerprints with him and then chooses to trust the list anew.
    v.canTrustAnew = true;
    v.warnings.push("The circle's member list was not signed by a leader this device knows. Nobody receives new keys until a leader signs it again.");
    return false;
  }
  const key = await c.importVerifyKey(signer.signing);
  if (!(await c.verify(key, signed.signature, signed.body))) {
    v.warnings.push("The circle's member list has a signature that does not verify. Nobody receives new keys until a leader signs it again.");
    return false;
  }
  return true;
}

/** The signing device: a current member's device certified under the identity key that
 * `authority` lists for him, or a device this device verified before (a leader who left). */
async function signerOf(deviceId, members, authority, store) {
  for (const m of members.values()) {
    const d = (m.devices || []).find((x) => x.id === deviceId);
    if (!d) continue;
    const listed = authority.members.find((x) => x.user === m.user_id);
    const ok = listed && listed.identity && (await c.verifyDeviceCertificate(listed.identity, {
      user: m.user_id, device: d.id, ecdh: d.ecdh_public, sign: d.signing_public, certificate: d.certificate,
    }));
    return ok ? { user: m.user_id, signing: d.signing_public } : null;
  }
  const pinned = await store.trust(`device:${deviceId}`);
  return pinned ? { user: pinned.user, signing: pinned.signing } : null;
}

/** Differences between the signed roster and the server's membership now. */
function diff(state, members, roster, names, v) {
  const onRoster = new Map((roster ? roster.members : []).map((m) => [m.user, m]));
  for (const m of state.members) {
    const r = onRoster.get(m.user_id);
    if (!r) v.changes.joined.push(m.display_name);
    else if ((r.identity || null) !== (m.identity_public || null) || r.role !== m.role) v.changes.rekeyed.push(m.display_name);
  }
  for (const r of onRoster.values()) {
    if (!members.has(r.user)) v.changes.left.push(names.get(r.user) || "A former member");
  }
  if (!roster) return;
  const ch = v.changes;
  if (ch.joined.length) v.notices.push(`Waiting for a leader to confirm the new member${ch.joined.length > 1 ? "s" : ""}: ${ch.joined.join(", ")}.`);
  if (ch.rekeyed.length) v.warnings.push(`Not yet confirmed by a leader: new keys or a new role for ${ch.rekeyed.join(", ")}.`);
  if (ch.left.length) v.notices.push(`No longer in the circle, and so given no new keys: ${ch.left.join(", ")}.`);
}

/** The next roster a leader signs: the server's membership now, with each member's identity
 * key as the server shows it (the leader confirms the changes on screen first). */
export function nextRosterBody(state) {
  const version = (state.roster ? state.roster.version : 0) + 1;
  const members = state.members.map((m) => ({ user: m.user_id, role: m.role, identity: m.identity_public || null }));
  return { version, body: c.rosterBody({ circle: state.circle_id, version, members }) };
}

/** Forgets the member list this device trusted, so the next one is taken as first seen
 * (after the person compared fingerprints with a leader). */
export async function trustAnew(store, circle) {
  await store.delete("trust", `roster:${circle}`);
}
