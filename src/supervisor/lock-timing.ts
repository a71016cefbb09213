/** A supervisor lock whose holder died is taken over after this long: the bound on a blocked start. */
export const LOCK_STALE_MS = 5000;
