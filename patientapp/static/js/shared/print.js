/**
 * "Print": the browser's own print dialog for a guide or the sheet. The print stylesheet (app.css,
 * @media print) leaves out the header, the buttons and the way back. Without scripts the button
 * stays hidden and the browser's menu prints the same.
 */
for (const $button of document.querySelectorAll('[data-module="pa-print"]')) {
  $button.hidden = false;
  $button.addEventListener('click', () => window.print());
}
