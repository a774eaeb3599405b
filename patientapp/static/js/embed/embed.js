/*
 * patientapp on a clinic's own website. Paste where the guides or the check should appear:
 *
 *   <script src="https://<this app>/embed/embed.js" data-clinic="<clinic>" data-page="guides"
 *           data-lang="nb" data-title="…" async></script>
 *
 * data-page is "guides", "check" or one guide's short name; data-lang is optional (the visitor's
 * browser language otherwise). The script puts an iframe where it stands, lets it use the camera and
 * microphone (the check needs them, SECURITY.md R40), and sizes it to its content from the frame's
 * messages: only from this app's origin and only from its own frame. A classic script, not a module,
 * so that it can find itself (document.currentScript) on any site.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || !script.src || !script.getAttribute('data-clinic')) return;
  var app = new URL(script.src, document.baseURI).origin;
  var MIN_HEIGHT = 200;
  var MAX_HEIGHT = 20000;

  var src = new URL('/embed/' + encodeURIComponent(script.getAttribute('data-clinic')) + '/', app);
  src.searchParams.set('page', script.getAttribute('data-page') || 'guides');
  if (script.getAttribute('data-lang')) src.searchParams.set('lang', script.getAttribute('data-lang'));

  var frame = document.createElement('iframe');
  frame.src = src.href;
  frame.setAttribute('allow', 'camera; microphone');
  // The frame may tell which site it is on from this where the browser has no ancestorOrigins.
  frame.name = 'patientapp-embed ' + window.location.origin;
  frame.title = script.getAttribute('data-title') || '';
  frame.className = 'patientapp-embed';
  // Styles through the CSSOM, not a style attribute: allowed under a strict style-src.
  frame.style.display = 'block';
  frame.style.width = '100%';
  frame.style.border = '0';
  frame.style.height = '600px';
  script.parentNode.insertBefore(frame, script);

  window.addEventListener('message', function (event) {
    if (event.origin !== app || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== 'patientapp:height' || typeof data.height !== 'number' || !isFinite(data.height)) return;
    frame.style.height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.ceil(data.height))) + 'px';
    if (typeof data.title === 'string' && data.title && data.title.length <= 300) frame.title = data.title;
  });
}());
