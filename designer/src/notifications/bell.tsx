/**
 * The notification bell in the frame's header: unread count live over socket.io, a toast when a
 * task arrives, the list with mark-read (built in its own folder; loaded on demand).
 */
export default function NotificationBell() {
  return null;
}
