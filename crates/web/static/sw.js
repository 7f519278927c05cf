// Service worker: an offline page, the site's CSS/JS, and the pages the server marks as
// worth reading offline (a person's dashboard, profile, upcoming events).
// Served at /sw.js by crates/web/src/pages/pwa.rs, which fills in VERSION and ASSETS.
// docs/architecture.md ("Offline and the service worker") explains what is kept and why.
"use strict";

const VERSION = "__VERSION__";
const ASSETS = __ASSETS__;
const OFFLINE_URL = "/offline";
// The offline page belongs to one release; assets are immutable (hashed names) and are
// kept while a saved page still links to them; saved pages outlive releases.
const SHELL = "circles-shell-" + VERSION;
const STATIC = "circles-static";
const PAGES = "circles-pages";
// The server opts a page in with this response header; nothing else is stored.
const KEEP_HEADER = "circles-offline";
const MAX_PAGES = 50;
// On a weak signal, show the saved copy rather than wait this long for the network.
const NETWORK_PATIENCE_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL);
    await shell.add(new Request(OFFLINE_URL, { cache: "reload" }));
    const assets = await caches.open(STATIC);
    await assets.addAll(ASSETS);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("circles-shell-") && name !== SHELL) await caches.delete(name);
    }
    await pruneStatic();
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    // Signing out forgets every saved page (the server also sends Clear-Site-Data).
    if (request.method === "POST" && url.pathname === "/logout") event.waitUntil(forgetPages());
    return; // POSTs are never cached: the browser sends them as usual.
  }
  if (url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(fromCacheFirst(request));
  } else if (request.mode === "navigate") {
    const { response, stored } = fromNetworkFirst(request);
    event.respondWith(response);
    event.waitUntil(stored);
  }
});

async function fromCacheFirst(request) {
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    await caches.open(STATIC).then((cache) => cache.put(request, copy));
  }
  return response;
}

// Network first, so people see the current page; the saved copy when the network fails
// or is too slow; the offline page when there is no copy.
function fromNetworkFirst(request) {
  // Only a page the server marked is copied (before the browser starts reading it).
  const network = fetch(request).then((response) => [
    response,
    response.ok && response.headers.get(KEEP_HEADER) === "keep" ? response.clone() : null,
  ]);
  // Saved pages are keyed by URL alone (a navigation request cannot be stored as is).
  const saved = caches.open(PAGES).then((pages) => pages.match(request.url, { ignoreVary: true }));
  const stored = Promise.all([network, saved])
    .then(([[response, copy], previous]) => remember(request, response, copy, previous))
    .catch(() => {});
  const response = (async () => {
    const previous = await saved;
    try {
      if (!previous) return (await network)[0];
      const patience = new Promise((resolve) => setTimeout(resolve, NETWORK_PATIENCE_MS, null));
      const winner = await Promise.race([network, patience]);
      return winner ? winner[0] : previous;
    } catch (_) {
      return previous || (await caches.match(OFFLINE_URL, { cacheName: SHELL })) || Response.error();
    }
  })();
  return { response, stored };
}

// Stores what the server marked as worth keeping, drops what it no longer serves, and
// treats a saved page that now redirects (to sign-in) as the end of the session.
async function remember(request, response, copy, previous) {
  const pages = await caches.open(PAGES);
  if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
    if (previous) await forgetPages();
  } else if (copy) {
    const headers = new Headers(copy.headers);
    headers.set("circles-saved-at", new Date().toISOString());
    const body = await copy.blob();
    await pages.put(request.url, new Response(body, { status: copy.status, headers }));
    const keys = await pages.keys();
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PAGES))) await pages.delete(old);
  } else if (previous && response.status < 500) {
    await pages.delete(request.url);
  }
}

async function forgetPages() {
  await caches.delete(PAGES);
  await pruneStatic();
}

// Keeps the current assets and those a saved page still links to.
async function pruneStatic() {
  const wanted = new Set(ASSETS.map((path) => new URL(path, self.location.origin).href));
  const pages = await caches.open(PAGES);
  for (const request of await pages.keys()) {
    const response = await pages.match(request);
    const html = response ? await response.text() : "";
    for (const match of html.matchAll(/["'](\/static\/[^"'?#]+)["']/g)) {
      wanted.add(new URL(match[1], self.location.origin).href);
    }
  }
  const assets = await caches.open(STATIC);
  for (const request of await assets.keys()) {
    if (!wanted.has(request.url)) await assets.delete(request);
  }
}
