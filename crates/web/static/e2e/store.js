// What this browser keeps for the conversation, in IndexedDB, one database per user:
// the device's non-extractable private keys, the identity key and archive key (encrypted
// under a non-extractable local AES key, so a copy of the profile's files alone does not
// yield them), epoch keys (the same), what he has seen and trusted (TOFU: identity and
// device fingerprints, the last verified roster of each circle), the per-device message
// counters, and the search index (encrypted too).
"use strict";

import { b64u, fromB64u, randomBytes } from "./crypto.js";

const STORES = ["keys", "trust", "counters", "epochs", "search"];
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
  });
}

function openDatabase(name) {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    for (const s of STORES) {
      if (!req.result.objectStoreNames.contains(s)) req.result.createObjectStore(s);
    }
  };
  return request(req);
}

/** The database name of one user's conversation keys in this browser profile. */
export function databaseName(user) {
  return `circles-e2e/${user}`;
}

/** Opens (creating on first use) this user's store. */
export async function openStore(user) {
  const db = await openDatabase(databaseName(user));
  const store = new Store(db, user);
  await store.ensureLocalKey();
  return store;
}

/** Deletes everything this browser keeps for `user` (start fresh keys, sign-out clean-up). */
export async function forget(user) {
  await request(indexedDB.deleteDatabase(databaseName(user)));
}

export class Store {
  constructor(db, user) {
    this.db = db;
    this.user = user;
    this.localKey = null;
  }

  close() {
    this.db.close();
  }

  async get(store, key) {
    return request(this.db.transaction(store).objectStore(store).get(key));
  }

  async put(store, key, value) {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).put(value, key);
    await done(tx);
  }

  async delete(store, key) {
    const tx = this.db.transaction(store, "readwrite");
    tx.objectStore(store).delete(key);
    await done(tx);
  }

  /** Every [key, value] of a store whose key starts with `prefix`. */
  async entries(store, prefix) {
    const range = IDBKeyRange.bound(prefix, prefix + "\uffff");
    const os = this.db.transaction(store).objectStore(store);
    const [keys, values] = await Promise.all([request(os.getAllKeys(range)), request(os.getAll(range))]);
    return keys.map((k, i) => [k, values[i]]);
  }

  /** The local AES-GCM key that encrypts secrets at rest; it can never be exported. */
  async ensureLocalKey() {
    let key = await this.get("keys", "local");
    if (!key) {
      key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
      // Two tabs may race here: keep whichever landed first.
      const tx = this.db.transaction("keys", "readwrite");
      const os = tx.objectStore("keys");
      const existing = await request(os.get("local"));
      if (existing) key = existing;
      else os.put(key, "local");
      await done(tx);
    }
    this.localKey = key;
  }

  async seal(purpose, bytes) {
    const iv = randomBytes(12);
    const aad = utf8.encode(`circles/local/v1|${this.user}|${purpose}`);
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, this.localKey, bytes);
    return { iv: b64u(iv), ct: b64u(new Uint8Array(ct)) };
  }

  async open(purpose, sealed) {
    const aad = utf8.encode(`circles/local/v1|${this.user}|${purpose}`);
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromB64u(sealed.iv), additionalData: aad },
      this.localKey,
      fromB64u(sealed.ct),
    );
    return new Uint8Array(pt);
  }

  // ---- this device ---------------------------------------------------------------

  /** {id, name, ecdh: CryptoKeyPair, signing: CryptoKeyPair, ecdhPublic, signingPublic,
   * identityPublic, certified} or undefined. */
  async device() {
    return this.get("keys", "device");
  }

  async saveDevice(device) {
    await this.put("keys", "device", device);
  }

  /** {identity_pkcs8, archive_key} (base64url), decrypted, or null before set-up. */
  async secrets() {
    const sealed = await this.get("keys", "secrets");
    if (!sealed) return null;
    return JSON.parse(fromUtf8.decode(await this.open("secrets", sealed)));
  }

  async saveSecrets(secrets) {
    const text = JSON.stringify({ identity_pkcs8: secrets.identity_pkcs8, archive_key: secrets.archive_key });
    await this.put("keys", "secrets", await this.seal("secrets", utf8.encode(text)));
  }

  /** Forgets the device and its secrets (revoked here, or fresh keys); trust stays. */
  async clearDevice() {
    const tx = this.db.transaction(["keys", "epochs", "counters"], "readwrite");
    tx.objectStore("keys").delete("device");
    tx.objectStore("keys").delete("secrets");
    tx.objectStore("epochs").clear();
    tx.objectStore("counters").clear();
    await done(tx);
  }

  // ---- trust on first use ----------------------------------------------------------

  async trust(key) {
    return this.get("trust", key);
  }

  async setTrust(key, value) {
    await this.put("trust", key, value);
  }

  // ---- counters ----------------------------------------------------------------------

  /** The next device_seq for a message in (circle, epoch), counted up and saved before it is
   * used, so no number is ever sent twice even if the page dies mid-send. */
  async nextDeviceSeq(circle, epoch) {
    const tx = this.db.transaction("counters", "readwrite");
    const os = tx.objectStore("counters");
    const key = `${circle}|${epoch}`;
    const last = (await request(os.get(key))) || 0;
    os.put(last + 1, key);
    await done(tx);
    return last + 1;
  }

  /** Moves the counter past `seq` (after the server said a number was taken). */
  async skipDeviceSeq(circle, epoch, seq) {
    const tx = this.db.transaction("counters", "readwrite");
    const os = tx.objectStore("counters");
    const key = `${circle}|${epoch}`;
    const last = (await request(os.get(key))) || 0;
    if (seq > last) os.put(seq, key);
    await done(tx);
  }

  // ---- epoch keys ----------------------------------------------------------------------

  async epochKeyRaw(circle, epoch) {
    const sealed = await this.get("epochs", `${circle}|${epoch}`);
    return sealed ? this.open(`epoch|${circle}|${epoch}`, sealed) : null;
  }

  async saveEpochKeyRaw(circle, epoch, raw) {
    await this.put("epochs", `${circle}|${epoch}`, await this.seal(`epoch|${circle}|${epoch}`, raw));
  }

  /** Every epoch key this device holds for a circle: [[epoch, raw bytes]]. */
  async epochKeysRaw(circle) {
    const out = [];
    for (const [key, sealed] of await this.entries("epochs", `${circle}|`)) {
      const epoch = Number(key.slice(circle.length + 1));
      out.push([epoch, await this.open(`epoch|${circle}|${epoch}`, sealed)]);
    }
    return out;
  }

  // ---- search index ----------------------------------------------------------------------

  async loadSearch(circle) {
    const sealed = await this.get("search", circle);
    if (!sealed) return null;
    return JSON.parse(fromUtf8.decode(await this.open(`search|${circle}`, sealed)));
  }

  async saveSearch(circle, data) {
    await this.put("search", circle, await this.seal(`search|${circle}`, utf8.encode(JSON.stringify(data))));
  }
}
