/**
 * Battery level, where the browser tells it (Chrome on Android and desktop; not Safari or Firefox).
 * Below 20 % and not charging is a warning.
 */
export const LOW_BATTERY = 0.2;

/** @returns {Promise<{status: string, key: string, level?: number}>} */
export async function checkBattery() {
  if (!navigator.getBattery) return { status: 'ok', key: 'battery.unknown' };
  try {
    const battery = await navigator.getBattery();
    const level = Math.round(battery.level * 100);
    if (battery.charging) return { status: 'ok', key: 'battery.charging', level };
    if (battery.level < LOW_BATTERY) return { status: 'warn', key: 'battery.low', level };
    return { status: 'ok', key: 'battery.ok', level };
  } catch {
    return { status: 'ok', key: 'battery.unknown' };
  }
}
