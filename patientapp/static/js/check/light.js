/**
 * Is there enough light on the face? Pure functions over RGBA pixels, so they can be tested in
 * node on synthetic frames. The face is assumed to be in the middle of the picture (the "centre":
 * the middle half of the width and the middle 60 % of the height); the rest is the "ring".
 */

// Thresholds on luma (0–255), explained in the README.
export const LIGHT = {
  black: 12, // the whole frame darker than this: the camera is covered or broken
  veryDark: 30, // centre darker than this: too dark to see a face at all
  dark: 60, // centre darker than this: too dark
  backlitGap: 60, // ring brighter than the centre by this much …
  backlitRing: 150, // … and itself this bright: light behind the person
  bright: 225, // centre brighter than this, or …
  clippedShare: 0.4, // … this share of the centre burnt out (≥ 250): too bright
};

/**
 * Mean luma (Rec. 601) of the whole frame, the centre and the ring, and the burnt-out share of the centre.
 * @param {Uint8ClampedArray|number[]} rgba
 * @param {number} width
 * @param {number} height
 */
export function measureLight(rgba, width, height) {
  const x0 = width / 4, x1 = (width * 3) / 4;
  const y0 = height / 5, y1 = (height * 4) / 5;
  let all = 0, centre = 0, centreCount = 0, clipped = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const i = (y * width + x) * 4;
      const luma = 0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2];
      all += luma;
      if (x >= x0 && x < x1 && y >= y0 && y < y1) {
        centre += luma;
        centreCount += 1;
        if (luma >= 250) clipped += 1;
      }
    }
  }
  const total = width * height;
  const ringCount = total - centreCount;
  return {
    mean: all / total,
    centre: centre / centreCount,
    ring: ringCount ? (all - centre) / ringCount : centre / centreCount,
    clippedShare: clipped / centreCount,
  };
}

/**
 * @param {{mean: number, centre: number, ring: number, clippedShare: number}} m
 * @returns {{kind: 'ok'|'black'|'dark'|'backlit'|'bright', status: 'ok'|'warn'|'fail'}}
 */
export function classifyLight(m) {
  if (m.mean < LIGHT.black) return { kind: 'black', status: 'fail' };
  // Backlight first: its advice (turn around) differs from plain darkness (turn on a lamp).
  if (m.ring - m.centre >= LIGHT.backlitGap && m.ring >= LIGHT.backlitRing) return { kind: 'backlit', status: 'warn' };
  if (m.centre < LIGHT.veryDark) return { kind: 'dark', status: 'fail' };
  if (m.centre < LIGHT.dark) return { kind: 'dark', status: 'warn' };
  if (m.centre > LIGHT.bright || m.clippedShare > LIGHT.clippedShare) return { kind: 'bright', status: 'warn' };
  return { kind: 'ok', status: 'ok' };
}
