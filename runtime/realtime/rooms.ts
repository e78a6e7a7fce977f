import type { Principal } from '../auth/authenticate.js';

/**
 * socket.io room names. Every room but the tenant's own is scoped by tenant, so an event for a
 * user or group of one tenant never reaches a socket that only belongs to another tenant (group
 * ids are global, tenant membership is not). Ids never contain `:` (see the identity service's id
 * pattern), so the names cannot be confused with each other.
 */
export const tenantRoom = (tenantId: string) => `tenant:${tenantId}`;
export const userRoom = (tenantId: string, username: string) => `tenant:${tenantId}:user:${username}`;
export const groupRoom = (tenantId: string, groupId: string) => `tenant:${tenantId}:group:${groupId}`;
/** Sockets watching one process instance (joined through `instance:watch`, after a read check). */
export const instanceRoom = (tenantId: string, processInstanceKey: string) =>
  `tenant:${tenantId}:instance:${processInstanceKey}`;
const INSTANCE_ROOM = /^tenant:([^:]+):instance:\d+$/;
/** The tenant of an instance room, or undefined for any other room. */
export const tenantOfInstanceRoom = (room: string): string | undefined => INSTANCE_ROOM.exec(room)?.[1];

/** The rooms a principal's sockets join: per tenant, the tenant, the user and each group. */
export function roomsFor(principal: Pick<Principal, 'username' | 'tenantIds' | 'groups'>): string[] {
  const rooms: string[] = [];
  for (const tenantId of principal.tenantIds) {
    rooms.push(tenantRoom(tenantId), userRoom(tenantId, principal.username));
    for (const groupId of principal.groups) rooms.push(groupRoom(tenantId, groupId));
  }
  return rooms;
}
