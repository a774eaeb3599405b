/**
 * Which page around this frame may hear from it. The browser delivers a postMessage only to the
 * origin named as its target, so naming the right one is all that matters: this picks the parent's
 * origin, and only if the clinic registered it (or it is this app, for the workspace's preview).
 */

/** The prefix embed.js puts before the host page's origin in the frame's name. */
export const NAME_PREFIX = 'patientapp-embed ';

/**
 * @param {{ancestorOrigins?: ArrayLike<string>|null, name?: string, referrer?: string, self: string}} where
 *   location.ancestorOrigins (Chromium, Safari), window.name, document.referrer, and our own origin
 * @param {string[]} allowed the registered origins
 * @returns {string|null} the origin to post to, or null to stay silent
 */
export function parentOrigin(where, allowed) {
  const ok = (origin) => (typeof origin === 'string' && allowed.includes(origin) ? origin : null);
  // Where the browser says who the parent is, believe nothing else.
  if (where.ancestorOrigins && typeof where.ancestorOrigins.length === 'number') {
    return where.ancestorOrigins.length ? ok(where.ancestorOrigins[0]) : null;
  }
  if (typeof where.name === 'string' && where.name.startsWith(NAME_PREFIX)) {
    const named = ok(where.name.slice(NAME_PREFIX.length));
    if (named) return named;
  }
  // The referrer names the parent only on the first page; later it is one of ours.
  try {
    const origin = new URL(where.referrer).origin;
    return origin === where.self ? null : ok(origin);
  } catch {
    return null;
  }
}

/**
 * The content's height in CSS pixels, rounded up (the frame must not cut off the last line).
 * @param {Document} doc
 */
export function contentHeight(doc) {
  return Math.ceil(doc.documentElement.getBoundingClientRect().height);
}
