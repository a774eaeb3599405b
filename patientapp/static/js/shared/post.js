/**
 * POST JSON with the page's CSRF token (R29): every state change from a script goes through here.
 * @param {string} url
 * @param {object} body
 * @param {{keepalive?: boolean}} [options] keepalive: the request outlives the page (sent on leaving)
 */
export function postJson(url, body, { keepalive = false } = {}) {
  const token = document.querySelector('meta[name="csrf-token"]');
  return fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token ? token.content : '' },
    body: JSON.stringify(body),
    keepalive,
  });
}
