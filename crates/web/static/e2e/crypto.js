// The conversation's cryptography, in WebCrypto only: keys, device certificates, rosters,
// envelopes, messages and fingerprints (the key archive, backups and device transfer are in
// backup.js). Every
// format here is the one in docs/architecture.md ("Circle conversations"); the server
// stores what these functions produce and never sees a key or a word of a message.
"use strict";

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

const EC = { name: "ECDSA", namedCurve: "P-256" };
const DH = { name: "ECDH", namedCurve: "P-256" };
const SIGN = { name: "ECDSA", hash: "SHA-256" };

/** Anything that failed to verify or decrypt: the page shows "could not be verified". */
export class VerificationError extends Error {
  constructor(why) {
    super(why);
    this.name = "VerificationError";
  }
}

// ---- encodings -------------------------------------------------------------------------

/** Bytes → base64url without padding. */
export function b64u(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
  }
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url (no padding) → bytes; throws a VerificationError on anything else. */
export function fromB64u(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new VerificationError("not base64url");
  }
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(std + "===".slice((std.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** A random UUID v4 (device ids and message client ids are chosen by the client). */
export function uuid() {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Crockford base32 of `bytes` (no padding, upper case). */
export function crockford(bytes) {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out;
}

/** Reads Crockford base32 as a person may type it: any case, spaces and dashes, I/L as 1
 * and O as 0. Returns `length` bytes or throws. */
export function fromCrockford(text, length) {
  const clean = String(text).toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = CROCKFORD.indexOf(ch);
    if (v < 0) throw new VerificationError("the recovery key has a character that is not in it: " + ch);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  if (out.length !== length || value !== 0) {
    throw new VerificationError("the recovery key is not complete: check every group");
  }
  return new Uint8Array(out);
}

// ---- keys ------------------------------------------------------------------------------

/** A user's identity signing key. Extractable: it goes into his encrypted backup. */
export async function generateIdentity() {
  return subtle.generateKey(EC, true, ["sign", "verify"]);
}

/** A device's two key pairs; the private halves can never leave the browser. */
export async function generateDeviceKeys() {
  const [ecdh, signing] = await Promise.all([
    subtle.generateKey(DH, false, ["deriveBits"]),
    subtle.generateKey(EC, false, ["sign", "verify"]),
  ]);
  return { ecdh, signing };
}

export async function spki(publicKey) {
  return b64u(await subtle.exportKey("spki", publicKey));
}

export async function pkcs8(privateKey) {
  return b64u(await subtle.exportKey("pkcs8", privateKey));
}

/** The identity private key from a backup, not extractable again, with its public half. */
export async function importIdentity(pkcs8Text) {
  const bytes = fromB64u(pkcs8Text);
  const loose = await subtle.importKey("pkcs8", bytes, EC, true, ["sign"]);
  const jwk = await subtle.exportKey("jwk", loose);
  delete jwk.d;
  jwk.key_ops = ["verify"];
  const publicKey = await subtle.importKey("jwk", jwk, EC, true, ["verify"]);
  const privateKey = await subtle.importKey("pkcs8", bytes, EC, false, ["sign"]);
  return { privateKey, publicKey };
}

export async function importVerifyKey(spkiText) {
  try {
    return await subtle.importKey("spki", fromB64u(spkiText), EC, true, ["verify"]);
  } catch (e) {
    throw new VerificationError("not a P-256 signing key");
  }
}

export async function importEcdhKey(spkiText) {
  try {
    return await subtle.importKey("spki", fromB64u(spkiText), DH, true, []);
  } catch (e) {
    throw new VerificationError("not a P-256 key agreement key");
  }
}

/** A fresh random AES-256-GCM epoch key (extractable: it is wrapped for every device). */
export async function generateEpochKey() {
  return subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
}

export async function importEpochKey(raw) {
  return subtle.importKey("raw", raw, { name: "AES-GCM" }, true, ["encrypt", "decrypt"]);
}

export async function exportRaw(key) {
  return new Uint8Array(await subtle.exportKey("raw", key));
}

// ---- signatures ------------------------------------------------------------------------

/** ECDSA P-256 SHA-256 signature (IEEE P1363, 64 bytes) over the UTF-8 of `text`. */
export async function sign(privateKey, text) {
  return b64u(await subtle.sign(SIGN, privateKey, utf8.encode(text)));
}

/** Whether `signature` is a valid signature of `text`; false for anything malformed. */
export async function verify(publicKey, signature, text) {
  try {
    const sig = fromB64u(signature);
    if (sig.length !== 64) return false;
    return await subtle.verify(SIGN, publicKey, sig, utf8.encode(text));
  } catch (e) {
    return false;
  }
}

/** The body a device certificate signs. */
export function deviceCertificateBody({ user, device, ecdh, sign: signing }) {
  return JSON.stringify({ t: "device", user, device, ecdh, sign: signing });
}

export async function certifyDevice(identityPrivate, device) {
  return sign(identityPrivate, deviceCertificateBody(device));
}

/** Whether `device` ({user, device, ecdh, sign, certificate}) was certified by `identitySpki`. */
export async function verifyDeviceCertificate(identitySpki, device) {
  if (!identitySpki || !device.certificate) return false;
  try {
    const key = await importVerifyKey(identitySpki);
    return await verify(key, device.certificate, deviceCertificateBody(device));
  } catch (e) {
    return false;
  }
}

// ---- rosters ---------------------------------------------------------------------------

const ROLES = ["facilitator", "co_facilitator", "member"];

/** The canonical roster body: members sorted by user id, keys in the agreed order. A member
 * who has not set up his keys yet is listed with `"identity":null` and gets no envelope. */
export function rosterBody({ circle, version, members }) {
  const sorted = members
    .map((m) => ({ user: m.user, role: m.role, identity: m.identity || null }))
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  return JSON.stringify({ t: "roster", circle, version, members: sorted });
}

/** Parses a roster body, refusing any that is not exactly canonical (so what was signed is
 * what is read). */
export function parseRoster(body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw new VerificationError("the member list is not readable");
  }
  if (
    !parsed || parsed.t !== "roster" || typeof parsed.circle !== "string" ||
    !Number.isInteger(parsed.version) || !Array.isArray(parsed.members) ||
    parsed.members.some((m) => !m || typeof m.user !== "string" || !ROLES.includes(m.role))
  ) {
    throw new VerificationError("the member list is not in the agreed form");
  }
  if (rosterBody(parsed) !== body) throw new VerificationError("the member list is not canonical");
  return parsed;
}

export function isLeaderRole(role) {
  return role === "facilitator" || role === "co_facilitator";
}

// ---- envelopes -------------------------------------------------------------------------

/** ECDH → HKDF-SHA256 (salt: 32 zero bytes, info) → an AES key of `algorithm`. */
export async function sharedKey(privateKey, publicKey, info, algorithm, usages) {
  const bits = await subtle.deriveBits({ name: "ECDH", public: publicKey }, privateKey, 256);
  const ikm = await subtle.importKey("raw", bits, "HKDF", false, ["deriveKey"]);
  return subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: utf8.encode(info) },
    ikm,
    { name: algorithm, length: 256 },
    false,
    usages,
  );
}

function envelopeInfo(circle, epoch, from, to) {
  return `circles/envelope/v1|${circle}|${epoch}|${from}|${to}`;
}

export function envelopeBody({ circle, epoch, from, to, wrapped }) {
  return JSON.stringify({ t: "envelope", circle, epoch, from, to, wrapped });
}

/** Wraps `epochKey` for one recipient device and signs the envelope with the sender's
 * device signing key. Returns {recipient_device_id, wrapped, signature}. */
export async function wrapEpochKey({ circle, epoch, from, to, senderEcdh, senderSigning, recipientEcdh, epochKey }) {
  const recipient = typeof recipientEcdh === "string" ? await importEcdhKey(recipientEcdh) : recipientEcdh;
  const kek = await sharedKey(senderEcdh, recipient, envelopeInfo(circle, epoch, from, to), "AES-KW", ["wrapKey"]);
  const wrapped = b64u(await subtle.wrapKey("raw", epochKey, kek, "AES-KW"));
  const signature = await sign(senderSigning, envelopeBody({ circle, epoch, from, to, wrapped }));
  return { recipient_device_id: to, wrapped, signature };
}

/** Verifies an envelope's signature with the sender's device signing key, then unwraps the
 * epoch key with this device's ECDH key. Throws a VerificationError on any failure. */
export async function unwrapEpochKey({ circle, epoch, from, to, wrapped, signature, senderSigning, senderEcdh, recipientEcdh }) {
  const signer = typeof senderSigning === "string" ? await importVerifyKey(senderSigning) : senderSigning;
  if (!(await verify(signer, signature, envelopeBody({ circle, epoch, from, to, wrapped })))) {
    throw new VerificationError("the envelope's signature does not verify");
  }
  const sender = typeof senderEcdh === "string" ? await importEcdhKey(senderEcdh) : senderEcdh;
  try {
    const kek = await sharedKey(recipientEcdh, sender, envelopeInfo(circle, epoch, from, to), "AES-KW", ["unwrapKey"]);
    return await subtle.unwrapKey("raw", fromB64u(wrapped), kek, "AES-KW", { name: "AES-GCM" }, true, ["encrypt", "decrypt"]);
  } catch (e) {
    throw new VerificationError("the envelope does not open with this device's key");
  }
}

// ---- messages --------------------------------------------------------------------------

const KINDS = ["text", "announcement"];

function messageAad(circle, epoch, deviceSeq, device) {
  return utf8.encode(`circles/message/v1|${circle}|${epoch}|${deviceSeq}|${device}`);
}

function messageSigned(circle, epoch, deviceSeq, device, ciphertext) {
  return `circles/message-sig/v1|${circle}|${epoch}|${deviceSeq}|${device}|${ciphertext}`;
}

/** AES-GCM with a random 12-byte IV: IV ‖ ciphertext ‖ tag. */
export async function sealGcm(key, plaintext, aad) {
  const iv = randomBytes(12);
  const ct = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, plaintext);
  return concat(iv, new Uint8Array(ct));
}

/** Opens what sealGcm made; a VerificationError when the tag fails. */
export async function openGcm(key, sealed, aad) {
  if (sealed.length < 12 + 16) throw new VerificationError("too short");
  try {
    const pt = await subtle.decrypt(
      { name: "AES-GCM", iv: sealed.subarray(0, 12), additionalData: aad },
      key,
      sealed.subarray(12),
    );
    return new Uint8Array(pt);
  } catch (e) {
    throw new VerificationError("the authentication tag does not match");
  }
}

/** Encrypts and signs one message. Returns {ciphertext, signature}. */
export async function encryptMessage({ epochKey, signingKey, circle, epoch, deviceSeq, device, kind, body }) {
  if (!KINDS.includes(kind)) throw new Error("unknown message kind " + kind);
  const plaintext = utf8.encode(JSON.stringify({ v: 1, kind, body }));
  const sealed = await sealGcm(epochKey, plaintext, messageAad(circle, epoch, deviceSeq, device));
  const ciphertext = b64u(sealed);
  const signature = await sign(signingKey, messageSigned(circle, epoch, deviceSeq, device, ciphertext));
  return { ciphertext, signature };
}

/** Verifies and decrypts one message: {kind, body}, or a VerificationError for a wrong
 * signature, a failed tag, or a plaintext that is not in the agreed form. */
export async function decryptMessage({ epochKey, senderSigning, circle, epoch, deviceSeq, device, ciphertext, signature }) {
  if (typeof ciphertext !== "string" || typeof signature !== "string") {
    throw new VerificationError("no ciphertext");
  }
  const signer = typeof senderSigning === "string" ? await importVerifyKey(senderSigning) : senderSigning;
  if (!(await verify(signer, signature, messageSigned(circle, epoch, deviceSeq, device, ciphertext)))) {
    throw new VerificationError("the message's signature does not verify");
  }
  const plain = await openGcm(epochKey, fromB64u(ciphertext), messageAad(circle, epoch, deviceSeq, device));
  let parsed;
  try {
    parsed = JSON.parse(fromUtf8.decode(plain));
  } catch (e) {
    throw new VerificationError("the message is not readable");
  }
  if (!parsed || parsed.v !== 1 || !KINDS.includes(parsed.kind) || typeof parsed.body !== "string") {
    throw new VerificationError("the message is not in the agreed form");
  }
  return { kind: parsed.kind, body: parsed.body };
}

// ---- meeting notes ---------------------------------------------------------------------

function noteAad(circle, meeting, epoch) {
  return utf8.encode(`circles/note/v1|${circle}|${meeting}|${epoch}`);
}

/** Seals a meeting's note under an epoch key (no signature: only the circle's leaders may
 * store one, and the key is the circle's). Returns IV ‖ AES-GCM output, base64url. */
export async function sealNote({ epochKey, circle, meeting, epoch, text }) {
  return b64u(await sealGcm(epochKey, utf8.encode(text), noteAad(circle, meeting, epoch)));
}

/** Opens a sealed note: its text, or a VerificationError (wrong key, moved to another
 * meeting or epoch, tampered with). */
export async function openNote({ epochKey, circle, meeting, epoch, sealed }) {
  const plain = await openGcm(epochKey, fromB64u(sealed), noteAad(circle, meeting, epoch));
  try {
    return fromUtf8.decode(plain);
  } catch (e) {
    throw new VerificationError("the note is not readable");
  }
}

// ---- join-request messages -------------------------------------------------------------

function joinAad(circle, requester) {
  return utf8.encode(`circles/join-request/v1|${circle}|${requester}`);
}

function joinInfo(circle, requester, device) {
  return `circles/join-request/v1|${circle}|${requester}|${device}`;
}

/** Seals a join request's message to the leaders' devices ([{device_id, ecdh_public}]): a
 * random AES-256-GCM content key encrypts the text (AAD binds circle and requester) and is
 * wrapped with AES-KW for each device under HKDF of ECDH(ephemeral key, device key). The
 * requester needs no keys of his own. Returns {ephemeral_public, ciphertext, envelopes}. */
export async function sealJoinMessage({ circle, requester, text, devices }) {
  const contentKey = await generateEpochKey();
  const ephemeral = await subtle.generateKey(DH, false, ["deriveBits"]);
  const ciphertext = b64u(await sealGcm(contentKey, utf8.encode(text), joinAad(circle, requester)));
  const envelopes = [];
  for (const d of devices) {
    const recipient = await importEcdhKey(d.ecdh_public);
    const kek = await sharedKey(ephemeral.privateKey, recipient, joinInfo(circle, requester, d.device_id), "AES-KW", ["wrapKey"]);
    envelopes.push({ device_id: d.device_id, wrapped: b64u(await subtle.wrapKey("raw", contentKey, kek, "AES-KW")) });
  }
  return { ephemeral_public: await spki(ephemeral.publicKey), ciphertext, envelopes };
}

/** Opens a sealed join-request message with this device's ECDH private key: the text, null
 * when it was not sealed to this device, or a VerificationError when it does not open. */
export async function openJoinMessage({ circle, requester, device, ecdhPrivate, sealed }) {
  const envelope = (sealed.envelopes || []).find((e) => e.device_id === device);
  if (!envelope) return null;
  const ephemeral = await importEcdhKey(sealed.ephemeral_public);
  let contentKey;
  try {
    const kek = await sharedKey(ecdhPrivate, ephemeral, joinInfo(circle, requester, device), "AES-KW", ["unwrapKey"]);
    contentKey = await subtle.unwrapKey("raw", fromB64u(envelope.wrapped), kek, "AES-KW", { name: "AES-GCM" }, false, ["decrypt"]);
  } catch (e) {
    throw new VerificationError("the message's key does not open with this device's key");
  }
  const plain = await openGcm(contentKey, fromB64u(sealed.ciphertext), joinAad(circle, requester));
  try {
    return fromUtf8.decode(plain);
  } catch (e) {
    throw new VerificationError("the message is not readable text");
  }
}

// ---- fingerprints ----------------------------------------------------------------------

async function sha256(bytes) {
  return new Uint8Array(await subtle.digest("SHA-256", bytes));
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A device's safety fingerprint: SHA-256(identity SPKI ‖ signing SPKI ‖ ECDH SPKI), its
 * first 20 bytes as 40 hex digits in 8 groups of 5 ("3f2a9 0c1e4 …"). */
export async function deviceFingerprint(identitySpki, signingSpki, ecdhSpki) {
  const digest = await sha256(concat(fromB64u(identitySpki), fromB64u(signingSpki), fromB64u(ecdhSpki)));
  return hex(digest.subarray(0, 20)).match(/.{5}/g).join(" ");
}

/** A short, stable name of an identity key (full SHA-256 hex), for the trust store. */
export async function keyDigest(spkiText) {
  return hex(await sha256(fromB64u(spkiText)));
}
