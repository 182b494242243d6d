/* 乡村电商学堂 service worker, served from /sw.js (lms/offline.py). Hand-written, no library:
 * three small caches and one rule each.
 *   shell  — the fingerprinted static files (cache first: their names change with them), the
 *            offline page and the waiting list (network first, the copy without a network).
 *   pages  — pages of /learn/ and /mentor/ the person opened (and the ones the page asks to
 *            keep: the next lessons, a mentor's trainee files): network first, so every answer
 *            from the network replaces the copy (a lesson's new revision included); the copy
 *            only when the network fails. Private pages (DESIGN §5): dropped at logout.
 *   The rest (logins, exports, the API, POSTs) is never stored.
 * Forms answered from a copy get a fresh uuid, so two entries made from one kept form are two
 * entries, never an edit of each other. */
"use strict";
const VERSION = {{ shell|tojson }}.join(" ");
const SHELL = "shell-" + hash(VERSION);
const PAGES = "pages";
const SHELL_URLS = {{ shell|tojson }};
const KEPT = {{ kept|tojson }};
const OFFLINE = {{ offline|tojson }};
const KEPT_AT = "X-Kept-At";
const FRESH_FOR = 6 * 3600 * 1000;  // a kept page fetched less than 6 hours ago is not fetched again

function hash(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(SHELL_URLS)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((n) => n.startsWith("shell-") && n !== SHELL).map((n) => caches.delete(n))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "keep" && Array.isArray(message.urls)) {
    event.waitUntil(keep(message.urls.filter(isKept)));
  } else if (message.type === "forget") {  // logout, or another person on this phone
    event.waitUntil(caches.delete(PAGES).then(() => reply(event, "forgotten")));
  }
});

function reply(event, type) {
  if (event.source) event.source.postMessage({ type });
}

async function keep(urls) {
  const cache = await caches.open(PAGES);
  for (const url of urls.slice(0, 500)) {  // a caseload of 200: files and visit forms
    const hit = await cache.match(url, { ignoreVary: true });
    if (hit && Date.now() - Number(hit.headers.get(KEPT_AT)) < FRESH_FOR) continue;  // data costs
    try {
      const response = await fetch(url, {  // marked: it must not take a pending message
        credentials: "same-origin", cache: "no-cache", headers: { "X-LMS-Keep": "1" },
      });
      if (response.ok && !response.redirected) await put(cache, url, response);
    } catch (e) {
      return;  // the network went: keep what we have
    }
  }
}

async function put(cache, key, response) {  // stamped with when it was kept
  const headers = new Headers(response.headers);
  headers.set(KEPT_AT, String(Date.now()));
  const body = await response.blob();
  await cache.put(key, new Response(body, { status: response.status, headers }));
}

function isKept(url) {
  const u = new URL(url, self.location.origin);
  return u.origin === self.location.origin && KEPT.some((p) => u.pathname.startsWith(p));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/") || url.pathname === "/favicon.ico") {
    event.respondWith(cacheFirst(request));
  } else if (SHELL_URLS.includes(url.pathname)) {  // the offline page and the waiting list
    event.respondWith(networkFirst(request, SHELL));
  } else if (isKept(request.url)) {
    event.respondWith(networkFirst(request, PAGES));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => offlinePage()));
  }
});

async function cacheFirst(request) {
  const hit = await caches.match(request, { ignoreVary: true });
  return hit || fetch(request);
}

async function networkFirst(request, name) {
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && isPrivatePage(response)) {
      const copy = response.clone();
      caches.open(name).then((cache) => put(cache, request, copy));
    }
    return response;
  } catch (e) {
    const shell = name === SHELL;  // /pending?saved=… is the one waiting list
    const hit = await caches.match(request, { cacheName: name, ignoreVary: true, ignoreSearch: shell });
    if (hit && shell) return hit;
    if (hit) return (hit.headers.get("Content-Type") || "").startsWith("text/html") ? asCopy(hit) : hit;
    return request.mode === "navigate" ? offlinePage() : Response.error();
  }
}

function isPrivatePage(response) {
  const rule = response.headers.get("Cache-Control") || "";
  return !rule.includes("no-store");  // one-time passwords and exports are never kept
}

async function asCopy(response) {
  let html = await response.text();
  html = html
    .replace(/(name="uuid"[^>]*value=")[^"]*"/g, (m, start) => start + crypto.randomUUID() + '"')
    .replace("<body", "<body data-copy");
  return new Response(html, { headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function offlinePage() {
  return (await caches.match(OFFLINE)) || new Response("没有网络", { status: 503 });
}
