/**
 * Dispatched on `window` when the user signs out or the session expires. Lazily loaded parts (the
 * live socket) listen for it, so the shell need not import them.
 */
export const SIGNED_OUT_EVENT = 'lifeflow:signed-out';

export function announceSignedOut(): void {
  window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
}
