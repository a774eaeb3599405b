/**
 * The `dataset` key of a data-* name: a dash before a letter becomes a capital letter, a dash before a
 * digit stays (data-late-10 → "late-10", data-will-call → "willCall"), as the DOM does it.
 * @param {string} name
 */
export const datasetKey = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
