// One circle's conversation on this device, without the page: loading and verifying its
// state, the epoch keys (from this device's store, the person's key archive, and envelopes),
// starting a new epoch when one is due, sharing the key with devices that lack it, signing
// the member list (leaders), and reading and sending messages. The conversation page and
// the several-circles announcement page both drive it.
"use strict";

import * as c from "./crypto.js";
import * as bk from "./backup.js";
import * as api from "./api.js";
import { verify, nextRosterBody } from "./roster.js";

const EPOCH_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

export class CircleSession {
  /** `keys` comes from identity.unlocked(): {store, device, identity, identityPublic, archiveKey}. */
  constructor(keys, user, circle) {
    this.keys = keys;
    this.user = user;
    this.circle = circle;
    this.state = null;
    this.verdict = null;
    this.epochKeys = new Map(); // epoch number → CryptoKey
    this.verifyKeys = new Map(); // device id → CryptoKey
  }

  get base() {
    return `/circles/${this.circle}/conversation`;
  }

  get store() {
    return this.keys.store;
  }

  get deviceId() {
    return this.keys.device.id;
  }

  get leads() {
    return this.state && (this.state.my_role === "facilitator" || this.state.my_role === "co_facilitator");
  }

  /** Loads and verifies the state, and gathers every epoch key this device may hold. */
  async load() {
    this.state = await api.get(`${this.base}?device=${this.deviceId}`);
    this.verdict = await verify(this.state, this.store, { user: this.user, identityPublic: this.keys.identityPublic });
    this.verifyKeys.clear();
    await this.gatherKeys();
    return this;
  }

  async gatherKeys() {
    for (const [epoch, raw] of await this.store.epochKeysRaw(this.circle)) {
      if (!this.epochKeys.has(epoch)) this.epochKeys.set(epoch, await c.importEpochKey(raw));
    }
    await this.keysFromEnvelopes();
    const wanted = new Set((this.state.envelopes || []).map((e) => e.epoch));
    const missing = [...wanted].some((e) => !this.epochKeys.has(e));
    if (missing || this.epochKeys.size === 0) await this.keysFromArchive();
  }

  async remember(epoch, key, archive) {
    this.epochKeys.set(epoch, key);
    await this.store.saveEpochKeyRaw(this.circle, epoch, await c.exportRaw(key));
    if (archive) {
      const sealed = await bk.sealArchive(this.keys.archiveKey, this.circle, epoch, key);
      // The archive gives the person's future devices this history; a failure here only
      // means it is tried again on the next load.
      await api.put("/me/key-archive", { circle_id: this.circle, epoch, sealed }).catch(() => {});
    }
  }

  async keysFromEnvelopes() {
    const mine = this.keys.device;
    for (const env of this.state.envelopes || []) {
      if (this.epochKeys.has(env.epoch)) continue;
      const sender = this.verdict.devices.get(env.sender_device_id);
      if (!sender) continue;
      try {
        const key = await c.unwrapEpochKey({
          circle: this.circle, epoch: env.epoch, from: env.sender_device_id, to: mine.id,
          wrapped: env.wrapped, signature: env.signature, senderSigning: sender.signing,
          senderEcdh: sender.ecdh, recipientEcdh: mine.ecdh.privateKey,
        });
        await this.remember(env.epoch, key, true);
      } catch (e) {
        this.verdict.warnings.push(`The key of period ${env.epoch} could not be verified; its messages stay unreadable here.`);
      }
    }
  }

  async keysFromArchive() {
    const entries = (await api.get(`/me/key-archive?circle=${this.circle}`).catch(() => [])) || [];
    for (const entry of entries) {
      if (this.epochKeys.has(entry.epoch)) continue;
      try {
        await this.remember(entry.epoch, await bk.openArchive(this.keys.archiveKey, this.circle, entry.epoch, entry.sealed), false);
      } catch (e) {
        // Sealed by older keys (before fresh keys): that history is gone, as the page said.
      }
    }
  }

  /** Whether a new epoch is due: none yet, closed by a membership change, older than 30
   * days, or older than the latest signed member list. */
  epochDue() {
    const e = this.state.epoch;
    if (!this.verdict.roster) return false;
    if (!e || e.closed) return true;
    if (Date.now() - new Date(e.started_at).getTime() > EPOCH_DAYS * DAY_MS) return true;
    return e.roster_version < this.verdict.roster.version;
  }

  /** Starts a new epoch or shares the current one, as due. Returns true when it changed
   * anything (the state was reloaded then). */
  async maintain() {
    if (!this.verdict.roster || !this.verdict.recipients.includes(this.deviceId)) return false;
    if (this.epochDue()) {
      try {
        await this.startEpoch();
      } catch (e) {
        if (!(e instanceof api.ApiError && e.status === 409)) throw e;
      }
      await this.load();
      return true;
    }
    const open = this.state.epoch;
    const key = open && this.epochKeys.get(open.number);
    const missing = (this.state.devices_missing_envelope || []).filter((d) => this.verdict.recipients.includes(d));
    if (!key || missing.length === 0) return false;
    const envelopes = await this.wrapFor(open.number, key, missing);
    try {
      await api.post(`${this.base}/envelopes`, { epoch: open.number, sender_device_id: this.deviceId, envelopes });
    } catch (e) {
      if (!(e instanceof api.ApiError && e.status === 409)) throw e;
    }
    await this.load();
    return true;
  }

  async wrapFor(epoch, key, deviceIds) {
    const me = this.keys.device;
    return Promise.all(deviceIds.map((to) => c.wrapEpochKey({
      circle: this.circle, epoch, from: me.id, to, senderEcdh: me.ecdh.privateKey,
      senderSigning: me.signing.privateKey, recipientEcdh: this.verdict.devices.get(to).ecdh, epochKey: key,
    })));
  }

  async startEpoch() {
    const number = (this.state.epoch ? this.state.epoch.number : 0) + 1;
    const key = await c.generateEpochKey();
    const envelopes = await this.wrapFor(number, key, this.verdict.recipients);
    await api.post(`${this.base}/epochs`, { number, creator_device_id: this.deviceId, envelopes });
    await this.remember(number, key, true);
  }

  /** Leaders: signs the server's current membership as the next member list. */
  async signRoster() {
    const { version, body } = nextRosterBody(this.state);
    const signature = await c.sign(this.keys.device.signing.privateKey, body);
    await api.put(`${this.base}/roster`, { version, body, signer_device_id: this.deviceId, signature });
    await this.load();
  }

  async verifyKey(deviceId) {
    if (!this.verifyKeys.has(deviceId)) {
      const known = this.verdict.devices.get(deviceId);
      this.verifyKeys.set(deviceId, known ? await c.importVerifyKey(known.signing) : null);
    }
    return this.verifyKeys.get(deviceId);
  }

  senderName(m) {
    const member = this.state.members.find((x) => x.user_id === m.sender_user_id);
    if (member) return member.display_name;
    const known = this.verdict.devices.get(m.sender_device_id);
    return known ? known.name : "A former member";
  }

  /** A message as the page shows it: {seq, sender, mine, sent_at, pinned, deleted,
   * kind, body} where body is null when it could not be verified. */
  async read(m) {
    const out = {
      seq: m.seq, epoch: m.epoch, sender: this.senderName(m), mine: m.sender_user_id === this.user,
      sent_at: m.sent_at, pinned: !!m.pinned, deleted: !!m.deleted, kind: "text", body: null,
    };
    if (m.deleted || !m.ciphertext) {
      out.deleted = true;
      return out;
    }
    const key = this.epochKeys.get(m.epoch);
    const signer = await this.verifyKey(m.sender_device_id);
    if (!key || !signer) return out;
    try {
      const plain = await c.decryptMessage({
        epochKey: key, senderSigning: signer, circle: this.circle, epoch: m.epoch,
        deviceSeq: m.device_seq, device: m.sender_device_id, ciphertext: m.ciphertext, signature: m.signature,
      });
      out.kind = plain.kind;
      out.body = plain.body;
    } catch (e) {
      // Shown as "could not be verified", never as text.
    }
    return out;
  }

  /** Encrypts and sends a message under the open epoch; starts or repairs the epoch first
   * when needed. Returns the stored message (as the API answers). */
  async send(body, kind = "text") {
    const clientId = c.uuid();
    for (let attempt = 0; attempt < 4; attempt++) {
      const open = this.state.epoch;
      const key = open && !open.closed && this.epochKeys.get(open.number);
      if (!key) {
        if (attempt > 0 || !(await this.maintain())) throw new Error(this.cannotSendReason());
        continue;
      }
      const deviceSeq = await this.store.nextDeviceSeq(this.circle, open.number);
      const { ciphertext, signature } = await c.encryptMessage({
        epochKey: key, signingKey: this.keys.device.signing.privateKey, circle: this.circle,
        epoch: open.number, deviceSeq, device: this.deviceId, kind, body,
      });
      try {
        return await api.post(`${this.base}/messages`, {
          client_id: clientId, epoch: open.number, sender_device_id: this.deviceId, device_seq: deviceSeq, ciphertext, signature,
        });
      } catch (e) {
        if (!(e instanceof api.ApiError) || e.status !== 409) throw e;
        if (e.code === "duplicate_sequence") continue; // the counter already moved on
        await this.load();
        await this.maintain();
      }
    }
    throw new Error(this.cannotSendReason());
  }

  cannotSendReason() {
    if (!this.verdict.roster) return "A leader has not confirmed the member list yet, so the circle has no key to write with.";
    if (!this.verdict.recipients.includes(this.deviceId)) return "This device is not on the circle's confirmed member list yet: a leader must confirm your keys.";
    return "The circle's key has not reached this device yet. Try again in a moment.";
  }

  async messages(query) {
    return api.get(`${this.base}/messages?${query}`);
  }

  async remove(seq) {
    await api.del(`${this.base}/messages/${seq}`);
  }

  async pin(seq, pinned) {
    await api.put(`${this.base}/messages/${seq}/pin`, { pinned });
  }

  async saveSettings(settings) {
    await api.put(`${this.base}/settings`, settings);
  }

  async mute(muted) {
    await api.put(`${this.base}/mute`, { muted });
  }

  async markRead(seq) {
    await api.put(`${this.base}/read`, { seq });
  }

  /** Every device of the circle with its owner and safety fingerprint, for the page. */
  async people() {
    const onRoster = new Map((this.verdict.roster ? this.verdict.roster.members : []).map((m) => [m.user, m]));
    const out = [];
    for (const m of this.state.members) {
      const identity = m.identity_public;
      const devices = [];
      for (const d of m.devices || []) {
        if (d.revoked || !identity) continue;
        devices.push({
          name: d.name,
          fingerprint: await c.deviceFingerprint(identity, d.signing_public, d.ecdh_public),
          verified: this.verdict.devices.has(d.id) && this.verdict.recipients.includes(d.id),
        });
      }
      out.push({ name: m.display_name, role: m.role, confirmed: onRoster.has(m.user_id), hasKeys: !!identity, devices });
    }
    return out;
  }
}
