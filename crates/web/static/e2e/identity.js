// A person's conversation identity and this browser's device: first-time set-up (with the
// recovery key shown once and an optional passphrase), unlocking a new device from the
// backup or by approval from a device he already has, approving, revoking, and starting
// fresh keys. The pages (keys.js, conversation.js) call these and show the outcome.
"use strict";

import * as c from "./crypto.js";
import * as bk from "./backup.js";
import * as api from "./api.js";
import { openStore } from "./store.js";

/** The states this browser can be in for the signed-in person. */
export const Status = Object.freeze({
  NO_IDENTITY: "no-identity", // he never set up keys: first-time set-up
  LOCKED: "locked", // keys exist, this browser has none: unlock or ask for approval
  PENDING: "pending", // this browser asked another device for approval and waits
  REVOKED: "revoked", // this browser's device was revoked
  READY: "ready",
});

/** Loads what this browser and the server know: {status, store, device, identity, devices}. */
export async function load(user) {
  const store = await openStore(user);
  const [identity, devices] = await Promise.all([
    api.find("/me/conversation-identity"),
    api.get("/me/devices").then((d) => d || []),
  ]);
  const device = await store.device();
  const status = await statusOf(store, identity, devices, device);
  return { status, store, device, identity, devices, user };
}

async function statusOf(store, identity, devices, device) {
  if (!identity) return Status.NO_IDENTITY;
  if (!device || device.identityPublic !== identity.identity_public) return Status.LOCKED;
  const registered = devices.find((d) => d.id === device.id);
  if (!registered) return Status.LOCKED;
  if (registered.revoked_at) return Status.REVOKED;
  if (!device.certified || !registered.certificate) return Status.PENDING;
  return Status.READY;
}

/** A sensible default name for this browser's device ("Chrome on Android"). */
export function defaultDeviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "Mac" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "this computer";
  return `${browser} on ${os}`.slice(0, 60);
}

/** Makes this browser's device keys, certifies them when the identity key is at hand, and
 * registers the device. Saved here before the server hears of it, so a retry can finish. */
async function registerDevice(state, name, identity) {
  const keys = await c.generateDeviceKeys();
  const device = {
    id: c.uuid(),
    name,
    ecdh: keys.ecdh,
    signing: keys.signing,
    ecdhPublic: await c.spki(keys.ecdh.publicKey),
    signingPublic: await c.spki(keys.signing.publicKey),
    identityPublic: state.identity.identity_public,
    certified: false,
  };
  const body = { user: state.user, device: device.id, ecdh: device.ecdhPublic, sign: device.signingPublic };
  const certificate = identity ? await c.certifyDevice(identity.privateKey, body) : null;
  await state.store.saveDevice(device);
  await api.post("/me/devices", {
    id: device.id,
    name,
    ecdh_public: device.ecdhPublic,
    signing_public: device.signingPublic,
    certificate,
  });
  device.certified = !!certificate;
  await state.store.saveDevice(device);
  state.device = device;
  return device;
}

/** First-time set-up. Returns the recovery key text, to be shown once. */
export async function setUp(state, { name, passphrase }) {
  const identity = await c.generateIdentity();
  const secrets = { identity_pkcs8: await c.pkcs8(identity.privateKey), archive_key: c.b64u(bk.generateArchiveKey()) };
  const recoveryKey = bk.generateRecoveryKey();
  const identityPublic = await c.spki(identity.publicKey);
  const backup = await bk.makeBackup({ secrets, user: state.user, recoveryKey, passphrase: passphrase || null });
  await state.store.saveSecrets(secrets);
  await api.put("/me/conversation-identity", { identity_public: identityPublic, backup });
  state.identity = { identity_public: identityPublic, backup };
  await registerDevice(state, name, await c.importIdentity(secrets.identity_pkcs8));
  state.status = Status.READY;
  return bk.recoveryKeyText(recoveryKey);
}

/** Unlocks this browser from opened backup secrets: checks they belong to the identity the
 * server lists, keeps them, and registers a certified device. */
async function unlockWith(state, name, secrets) {
  const identity = await c.importIdentity(secrets.identity_pkcs8);
  if ((await c.spki(identity.publicKey)) !== state.identity.identity_public) {
    throw new c.VerificationError("this backup belongs to older keys");
  }
  await state.store.clearDevice();
  await state.store.saveSecrets(secrets);
  await registerDevice(state, name, identity);
  state.status = Status.READY;
}

/** Set-up or unlocking stopped after the secrets were kept here but before the device was
 * registered (the page closed, the network failed): finishes it from the kept secrets.
 * Returns whether there was anything to finish. */
export async function resume(state, name) {
  const secrets = await state.store.secrets();
  if (!secrets || !state.identity) return false;
  try {
    await unlockWith(state, name, secrets);
    return true;
  } catch (e) {
    if (e instanceof c.VerificationError) return false;
    throw e;
  }
}

export async function unlockWithRecoveryKey(state, { name, recoveryKey }) {
  const bytes = bk.parseRecoveryKey(recoveryKey);
  const secrets = await bk.openBackupWithRecoveryKey(state.identity.backup, state.user, bytes);
  await unlockWith(state, name, secrets);
}

export async function unlockWithPassphrase(state, { name, passphrase }) {
  const secrets = await bk.openBackupWithPassphrase(state.identity.backup, state.user, passphrase);
  await unlockWith(state, name, secrets);
}

/** Registers this browser as a device waiting for approval; returns its fingerprint, which
 * the person compares on the device that approves. */
export async function requestApproval(state, { name }) {
  await state.store.clearDevice();
  const device = await registerDevice(state, name, null);
  state.status = Status.PENDING;
  return c.deviceFingerprint(state.identity.identity_public, device.signingPublic, device.ecdhPublic);
}

/** Whether another device approved this one; when it did, takes over the secrets it sent. */
export async function checkApproval(state) {
  const approval = await api.find(`/me/devices/${state.device.id}/approval`);
  if (!approval || !approval.certificate || !approval.transfer) return false;
  const device = state.device;
  const body = { user: state.user, device: device.id, ecdh: device.ecdhPublic, sign: device.signingPublic, certificate: approval.certificate };
  if (!(await c.verifyDeviceCertificate(state.identity.identity_public, body))) {
    throw new c.VerificationError("the approval is not signed by your keys");
  }
  const devices = (await api.get("/me/devices")) || [];
  for (const old of devices.filter((d) => d.id !== device.id && d.certificate && !d.revoked_at)) {
    try {
      const secrets = await bk.openTransfer({
        transfer: approval.transfer, user: state.user, oldDevice: old.id, newDevice: device.id,
        newEcdh: device.ecdh.privateKey, oldEcdhPublic: old.ecdh_public,
      });
      const identity = await c.importIdentity(secrets.identity_pkcs8);
      if ((await c.spki(identity.publicKey)) !== state.identity.identity_public) continue;
      await state.store.saveSecrets(secrets);
      device.certified = true;
      await state.store.saveDevice(device);
      state.status = Status.READY;
      return true;
    } catch (e) {
      // Not from this device: try the next one.
    }
  }
  throw new c.VerificationError("the approval could not be opened on this device");
}

/** On a ready device: approves a pending one (certificate + transfer of the secrets). */
export async function approve(state, pending) {
  const secrets = await state.store.secrets();
  const identity = await c.importIdentity(secrets.identity_pkcs8);
  const certificate = await c.certifyDevice(identity.privateKey, {
    user: state.user, device: pending.id, ecdh: pending.ecdh_public, sign: pending.signing_public,
  });
  const transfer = await bk.sealTransfer({
    secrets, user: state.user, oldDevice: state.device.id, newDevice: pending.id,
    oldEcdh: state.device.ecdh.privateKey, newEcdhPublic: pending.ecdh_public,
  });
  await api.put(`/me/devices/${pending.id}/approval`, { certificate, transfer });
}

export async function revoke(state, deviceId) {
  await api.del(`/me/devices/${deviceId}`);
  if (state.device && state.device.id === deviceId) await state.store.clearDevice();
}

/** Start fresh keys: the server forgets his identity, backup, archive and devices. */
export async function startFresh(state) {
  await api.post("/me/conversation-identity/reset");
  await state.store.clearDevice();
  state.identity = null;
  state.device = undefined;
  state.status = Status.NO_IDENTITY;
}

/** Adds, changes or (with an empty passphrase) removes the backup's passphrase. */
export async function changePassphrase(state, passphrase) {
  const secrets = await state.store.secrets();
  const backup = await bk.replacePassphrase(state.identity.backup, secrets, state.user, passphrase || null);
  await api.put("/me/conversation-identity/backup", { backup });
  state.identity.backup = backup;
}

/** A new recovery key (the old one stops working); the passphrase part stays as it is. */
export async function newRecoveryKey(state) {
  const secrets = await state.store.secrets();
  const recoveryKey = bk.generateRecoveryKey();
  const fresh = JSON.parse(await bk.makeBackup({ secrets, user: state.user, recoveryKey, passphrase: null }));
  fresh.passphrase = bk.parseBackup(state.identity.backup).passphrase;
  const backup = JSON.stringify(fresh);
  await api.put("/me/conversation-identity/backup", { backup });
  state.identity.backup = backup;
  return bk.recoveryKeyText(recoveryKey);
}

/** What the conversation needs from a ready device: the store, the device and the secrets
 * (identity private key imported non-extractable, archive key bytes). */
export async function unlocked(state) {
  const secrets = await state.store.secrets();
  if (state.status !== Status.READY || !secrets) return null;
  return {
    store: state.store,
    device: state.device,
    identity: await c.importIdentity(secrets.identity_pkcs8),
    identityPublic: state.identity.identity_public,
    archiveKey: c.fromB64u(secrets.archive_key),
  };
}
