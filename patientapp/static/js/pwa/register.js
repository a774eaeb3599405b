/**
 * Registers the service worker that keeps the guides and an offline page on this device (R58).
 *
 * The page names the worker for its language on this script's `data-pa-sw`; a new language is a new
 * worker URL, so the browser installs the worker that keeps that language. Registration waits for the
 * `load` event, so the worker's downloads never compete with the page's first paint. On the patient's
 * own pages (`data-pa-clinic-contact`) the worker is asked to fetch the offline page again: while the
 * invitation works it carries the clinic's phone number, afterwards it does not.
 */
const script = document.querySelector('script[data-pa-sw]');

async function register(url, refreshContact) {
  try {
    await navigator.serviceWorker.register(url, { scope: '/' });
    if (refreshContact) {
      const registration = await navigator.serviceWorker.ready;
      registration.active.postMessage({ type: 'refresh-clinic-contact' });
    }
  } catch {
    // No worker (private browsing, storage full, an old browser): every page still works online.
  }
}

if (script && 'serviceWorker' in navigator) {
  const start = () => register(script.dataset.paSw, script.hasAttribute('data-pa-clinic-contact'));
  if (document.readyState === 'complete') start();
  else window.addEventListener('load', start, { once: true });
}
