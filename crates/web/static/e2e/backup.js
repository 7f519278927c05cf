// The secrets that let a person read his history on a new device, in WebCrypto only: the
// key archive (epoch keys sealed under his archive key), the backup of his identity and
// archive keys (under the recovery key and, optionally, a passphrase), and the transfer of
// the same secrets from a device he has to a new one he approves. Formats: see
// docs/architecture.md ("Circle conversations").
"use strict";

import { b64u, fromB64u, randomBytes, concat, sealGcm, openGcm, exportRaw, importEpochKey, importEcdhKey, sharedKey, crockford, fromCrockford, VerificationError } from "./crypto.js";

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The fewest PBKDF2 rounds a backup may use; a backup asking for fewer is refused. */
export const MIN_PASSPHRASE_ITERATIONS = 600000;
/** The most a backup may ask for, so a hostile backup cannot hang the page. */
const MAX_PASSPHRASE_ITERATIONS = 10000000;

// ---- key archive -----------------------------------------------------------------------

function archiveAad(circle, epoch) {
  return utf8.encode(`circles/archive/v1|${circle}|${epoch}`);
}

/** A random 32-byte archive key (kept in the user's backup). */
export function generateArchiveKey() {
  return randomBytes(32);
}

async function gcmKey(raw, usages) {
  return subtle.importKey("raw", raw, { name: "AES-GCM" }, false, usages);
}

/** Seals an epoch key for the user's own key archive. */
export async function sealArchive(archiveKeyRaw, circle, epoch, epochKey) {
  const key = await gcmKey(archiveKeyRaw, ["encrypt"]);
  return b64u(await sealGcm(key, await exportRaw(epochKey), archiveAad(circle, epoch)));
}

export async function openArchive(archiveKeyRaw, circle, epoch, sealed) {
  const key = await gcmKey(archiveKeyRaw, ["decrypt"]);
  const raw = await openGcm(key, fromB64u(sealed), archiveAad(circle, epoch));
  if (raw.length !== 32) throw new VerificationError("not an epoch key");
  return importEpochKey(raw);
}

// ---- backup, recovery key, passphrase ---------------------------------------------------

/** 32 random bytes, shown once to the user as Crockford base32 in groups of 4. */
export function generateRecoveryKey() {
  return randomBytes(32);
}

export function recoveryKeyText(bytes) {
  return crockford(bytes).match(/.{1,4}/g).join(" ");
}

export function parseRecoveryKey(text) {
  return fromCrockford(text, 32);
}

function backupAad(user) {
  return utf8.encode(`circles/backup/v1|${user}`);
}

async function recoveryWrappingKey(recoveryBytes) {
  const ikm = await subtle.importKey("raw", recoveryBytes, "HKDF", false, ["deriveKey"]);
  return subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: utf8.encode("circles/recovery/v1") },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

async function passphraseKey(passphrase, salt, iterations) {
  const base = await subtle.importKey("raw", utf8.encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

function secretsText(secrets) {
  return utf8.encode(JSON.stringify({ identity_pkcs8: secrets.identity_pkcs8, archive_key: secrets.archive_key }));
}

function readSecrets(bytes) {
  let parsed;
  try {
    parsed = JSON.parse(fromUtf8.decode(bytes));
  } catch (e) {
    throw new VerificationError("the backup is not readable");
  }
  if (!parsed || typeof parsed.identity_pkcs8 !== "string" || typeof parsed.archive_key !== "string") {
    throw new VerificationError("the backup is not in the agreed form");
  }
  return parsed;
}

async function sealPart(key, plaintext, aad) {
  const sealed = await sealGcm(key, plaintext, aad);
  return { iv: b64u(sealed.subarray(0, 12)), ct: b64u(sealed.subarray(12)) };
}

async function openPart(key, part, aad) {
  if (!part || typeof part.iv !== "string" || typeof part.ct !== "string") {
    throw new VerificationError("the backup is not in the agreed form");
  }
  return openGcm(key, concat(fromB64u(part.iv), fromB64u(part.ct)), aad);
}

/** The passphrase part of a backup (PBKDF2-SHA256, 600,000 rounds, 16-byte salt). */
export async function passphrasePart(secrets, user, passphrase, iterations = MIN_PASSPHRASE_ITERATIONS) {
  if (iterations < MIN_PASSPHRASE_ITERATIONS) throw new Error("too few PBKDF2 iterations");
  const salt = randomBytes(16);
  const key = await passphraseKey(passphrase, salt, iterations);
  return { salt: b64u(salt), iterations, ...(await sealPart(key, secretsText(secrets), backupAad(user))) };
}

/** The backup JSON text the server keeps: the secrets ({identity_pkcs8, archive_key},
 * base64url) sealed under the recovery key and, when given, under a passphrase too. */
export async function makeBackup({ secrets, user, recoveryKey, passphrase }) {
  const recovery = await sealPart(await recoveryWrappingKey(recoveryKey), secretsText(secrets), backupAad(user));
  const pass = passphrase ? await passphrasePart(secrets, user, passphrase) : null;
  return JSON.stringify({ v: 1, recovery, passphrase: pass });
}

/** The same backup with its passphrase part replaced (null removes it). */
export async function replacePassphrase(backupText, secrets, user, passphrase) {
  const backup = parseBackup(backupText);
  backup.passphrase = passphrase ? await passphrasePart(secrets, user, passphrase) : null;
  return JSON.stringify(backup);
}

export function parseBackup(text) {
  let backup;
  try {
    backup = JSON.parse(text);
  } catch (e) {
    throw new VerificationError("the backup is not readable");
  }
  if (!backup || backup.v !== 1 || !backup.recovery) throw new VerificationError("unknown backup version");
  return backup;
}

export function backupHasPassphrase(text) {
  return !!parseBackup(text).passphrase;
}

export async function openBackupWithRecoveryKey(backupText, user, recoveryKey) {
  const backup = parseBackup(backupText);
  const key = await recoveryWrappingKey(recoveryKey);
  return readSecrets(await openPart(key, backup.recovery, backupAad(user)));
}

export async function openBackupWithPassphrase(backupText, user, passphrase) {
  const part = parseBackup(backupText).passphrase;
  if (!part) throw new VerificationError("this backup has no passphrase");
  const iterations = part.iterations;
  if (!Number.isInteger(iterations) || iterations < MIN_PASSPHRASE_ITERATIONS || iterations > MAX_PASSPHRASE_ITERATIONS) {
    throw new VerificationError("the backup's passphrase settings are not acceptable");
  }
  const key = await passphraseKey(passphrase, fromB64u(part.salt), iterations);
  return readSecrets(await openPart(key, part, backupAad(user)));
}

// ---- device approval (transfer) --------------------------------------------------------

function transferInfo(oldDevice, newDevice) {
  return `circles/transfer/v1|${oldDevice}|${newDevice}`;
}

/** The old device encrypts the backup secrets to the new device (ECDH + HKDF + AES-GCM). */
export async function sealTransfer({ secrets, user, oldDevice, newDevice, oldEcdh, newEcdhPublic }) {
  const peer = typeof newEcdhPublic === "string" ? await importEcdhKey(newEcdhPublic) : newEcdhPublic;
  const key = await sharedKey(oldEcdh, peer, transferInfo(oldDevice, newDevice), "AES-GCM", ["encrypt"]);
  return b64u(await sealGcm(key, secretsText(secrets), backupAad(user)));
}

export async function openTransfer({ transfer, user, oldDevice, newDevice, newEcdh, oldEcdhPublic }) {
  const peer = typeof oldEcdhPublic === "string" ? await importEcdhKey(oldEcdhPublic) : oldEcdhPublic;
  const key = await sharedKey(newEcdh, peer, transferInfo(oldDevice, newDevice), "AES-GCM", ["decrypt"]);
  return readSecrets(await openGcm(key, fromB64u(transfer), backupAad(user)));
}
