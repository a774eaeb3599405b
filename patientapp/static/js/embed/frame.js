/**
 * Inside a clinic's website: tells the page around this frame how tall the content is (and its
 * title, for screen readers), so embed.js can size the frame without an inner scroll bar. Only the
 * parent hears it, and only when the clinic registered the parent's origin.
 */
import { contentHeight, parentOrigin } from './parent-origin.js';

const $config = document.getElementById('pa-embed-config');

if ($config && window.parent !== window) {
  const config = JSON.parse($config.textContent);
  const target = parentOrigin({
    ancestorOrigins: window.location.ancestorOrigins,
    name: window.name,
    referrer: document.referrer,
    self: window.location.origin,
  }, config.origins);

  if (target) {
    let last = -1;
    const report = () => {
      const height = contentHeight(document);
      if (height === last) return;
      last = height;
      window.parent.postMessage({ type: config.type, height, title: document.title }, target);
    };
    // The check opens sections and the guides reflow on rotation: follow every change of size.
    new ResizeObserver(report).observe(document.documentElement);
    // Chromium pauses rendering, and with it ResizeObserver, in a cross-origin frame scrolled out of
    // view; a change to the page is still seen, and measuring forces the layout it needs.
    new MutationObserver(report).observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['hidden', 'class', 'data-status'],
    });
    window.addEventListener('load', report);
    report();
  }
}
