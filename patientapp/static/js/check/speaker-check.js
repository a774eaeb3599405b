/**
 * Plays a short two-note chime (generated, no download) for "Did you hear it?".
 */
import { chime } from '../shared/chime.js';

export const playChime = () => chime([660, 880], { gain: 0.4, spacing: 0.4 });
