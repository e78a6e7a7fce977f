import { io, type Socket } from 'socket.io-client';

let socket: Socket | undefined;

/**
 * The one socket.io connection of the page (same origin, the session cookie authenticates it):
 * `notification`, `tasks:changed`; emit `notifications:since` after a reconnect. Shared by the
 * inbox and the bell; closed by `closeLiveSocket` on logout.
 */
export function liveSocket(): Socket {
  socket ??= io({ transports: ['websocket'], withCredentials: true });
  return socket;
}

export function closeLiveSocket(): void {
  socket?.close();
  socket = undefined;
}
