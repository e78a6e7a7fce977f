import { io, type Socket } from 'socket.io-client';
import { SIGNED_OUT_EVENT } from './signed-out.js';

let socket: Socket | undefined;

/**
 * The one socket.io connection of the page (same origin, the session cookie authenticates it):
 * `notification`, `tasks:changed`, `instance:changed` (after `instance:watch`); emit
 * `notifications:since` after a reconnect. Shared by the bell, the inbox and the monitor; closed when
 * the user signs out or the session expires, so the next user of the page gets a socket of their own.
 */
export function liveSocket(): Socket {
  if (!socket) {
    socket = io({ transports: ['websocket'], withCredentials: true });
    window.addEventListener(SIGNED_OUT_EVENT, closeLiveSocket, { once: true });
  }
  return socket;
}

export function closeLiveSocket(): void {
  window.removeEventListener(SIGNED_OUT_EVENT, closeLiveSocket);
  socket?.close();
  socket = undefined;
}
