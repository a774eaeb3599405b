/*
 * The service worker: the guides and an offline page when the network does not work (SECURITY.md R58),
 * and nothing personal on the device (R57). After the CONFIG line the server writes for one language:
 *
 *   CONFIG.version   a digest of everything kept: a new deploy changes it, so this file changes and
 *                    browsers install the new worker (see patientapp/pwa/__init__.py).
 *   CONFIG.precache  [{url, src?}]: public pages, fetched from `src` (the page with ?lang=) without
 *                    cookies, and kept under `url`; static files under their fingerprinted URL.
 *   CONFIG.offline   the offline page of this language.
 *
 * Navigations go to the network first, so an online patient always sees the current page; only when
 * the network fails is a kept page (or the offline page) shown. Navigation preload is not used: the
 * workspace's navigations must reach the server untouched, exactly once.
 *
 * Modelled on GoogleChrome/samples service-worker/custom-offline-page.
 */
/* global CONFIG */
'use strict';

const PRECACHE = `pa-precache-${CONFIG.lang}-${CONFIG.version}`;
// The offline page with the clinic's phone number, kept apart so that a new version does not lose it.
const CONTACT = 'pa-clinic-contact';
const KEPT = new Set(CONFIG.precache.map((entry) => entry.url));
// The patient's own pages: answered from the network or with the offline page, never stored.
const isPrivate = (path) => CONFIG.private.some((prefix) => path.startsWith(prefix));
// Never answered by this worker at all: answers about one patient, the workspace, embeds.
const isUntouched = (path) => CONFIG.untouched.some((prefix) => path.startsWith(prefix));

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(PRECACHE);
    // All or nothing: if one file fails, installation fails and the old version stays in charge.
    await Promise.all(CONFIG.precache.map(async ({ url, src }) => {
      // credentials: 'omit': no session cookie goes out and no cookie comes back (?lang= would
      // otherwise set the language cookie).
      const response = await fetch(src || url, { credentials: 'omit', cache: 'no-cache' });
      if (!response.ok) throw new Error(`precache ${url}: ${response.status}`);
      await cache.put(url, response);
    }));
    // The pages do not depend on the worker's version (every static URL they name is kept or
    // fetched), so the new version may take over at once rather than wait for every tab to close.
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Old versions and other languages go; the clinic's number stays, re-rendered by this version.
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith('pa-') && name !== PRECACHE && name !== CONTACT)
      .map((name) => caches.delete(name)));
    if (await caches.has(CONTACT)) await refreshContact().catch(() => {});
    await self.clients.claim();
  })());
});

// A visit page asks for this: the server answers the offline page with the clinic's number while
// this browser's invitation works, and the generic page once it does not.
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'refresh-clinic-contact' && event.origin === self.location.origin) {
    event.waitUntil(refreshContact().catch(() => {}));
  }
});

async function refreshContact() {
  const response = await fetch(CONFIG.offline, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) return;
  const cache = await caches.open(CONTACT);
  for (const request of await cache.keys()) await cache.delete(request);
  if (response.headers.has(CONFIG.contactHeader)) await cache.put(CONFIG.offline, response);
  else await caches.delete(CONTACT);
}

async function offlinePage() {
  const contact = await caches.open(CONTACT);
  const personal = await contact.match(CONFIG.offline, { ignoreVary: true });
  const until = personal && Number(personal.headers.get(CONFIG.contactHeader));
  if (personal && until * 1000 > Date.now()) return personal;
  if (personal) await caches.delete(CONTACT); // the invitation's window has closed: forget the clinic
  const generic = await caches.match(CONFIG.offline, { cacheName: PRECACHE, ignoreVary: true });
  return generic || Response.error();
}

async function navigate(request, path) {
  try {
    return await fetch(request);
  } catch (error) {
    if (!isPrivate(path)) {
      // Public pages are kept under their path; ?lang= and other parameters do not matter offline.
      const kept = await caches.match(path, { cacheName: PRECACHE, ignoreSearch: true, ignoreVary: true });
      if (kept) return kept;
    }
    return offlinePage();
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || isUntouched(url.pathname)) return;
  if (request.mode === 'navigate') {
    event.respondWith(navigate(request, url.pathname));
  } else if (KEPT.has(url.pathname + url.search) && !isPrivate(url.pathname)) {
    // Static files have fingerprinted names: a kept copy is always the right one.
    event.respondWith(caches.match(url.pathname + url.search, { cacheName: PRECACHE, ignoreVary: true })
      .then((kept) => kept || fetch(request)));
  }
  // Anything else goes to the network as if there were no worker.
});
