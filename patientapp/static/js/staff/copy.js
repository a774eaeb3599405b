/**
 * "Copy the code" next to a read-only text box. Without the clipboard API (or scripts) the box can
 * still be selected and copied by hand, so the button only appears where it works.
 */
class CopyButton {
  /** @param {HTMLElement} $root the element with data-module="pa-copy" */
  constructor($root) {
    this.$root = $root;
    this.$source = $root.querySelector('.pa-js-copy-source');
    this.$button = $root.querySelector('.pa-js-copy');
    this.$status = $root.querySelector('.pa-js-copy-status');
  }

  init() {
    if (!navigator.clipboard || !window.isSecureContext) return;
    this.$button.hidden = false;
    this.$button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(this.$source.value);
        this.$status.textContent = this.$root.dataset.copied || '';
      } catch {
        // Refused (permissions): select the text so Ctrl+C or a long press copies it.
        this.$source.select();
      }
    });
  }
}

for (const $root of document.querySelectorAll('[data-module="pa-copy"]')) new CopyButton($root).init();
