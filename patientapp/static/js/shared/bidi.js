/**
 * A number, a time or a Latin word kept in one piece, in its own direction, inside right-to-left
 * text (first-strong isolate … pop directional isolate): the script's <bdi>, for text set with
 * textContent. The server does the same for what it sends as text (i18n.ui_word_text).
 */
export const isolate = (text) => `\u2068${text}\u2069`;
