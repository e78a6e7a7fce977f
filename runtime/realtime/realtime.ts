import type { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Knex } from 'knex';
import { createClient } from 'redis';
import { Server, type Socket } from 'socket.io';
import type { EngineEvent } from '../../engine/index.js';
import type { Authenticator, Principal } from '../auth/authenticate.js';
import { log as defaultLog, type Logger } from '../logging/logger.js';
import {
  NOTIFICATIONS_CHANNEL,
  type NotificationView,
  notificationView,
} from '../notifications/notification-service.js';
import type { Database } from '../persistence/db.js';
import type { CommittedEvents } from '../services/engine-service.js';
import { authenticateHandshake, type HandshakeCredentials } from './handshake-auth.js';
import { findReadableInstance } from '../auth/access.js';
import { groupRoom, instanceRoom, roomsFor, tenantOfInstanceRoom, userRoom } from './rooms.js';

/** Most notifications one `notifications:since` answer carries. */
export const MAX_SINCE = 200;

export interface RealtimeOptions {
  knex: Knex;
  auth: Authenticator;
  /** The database's LISTEN helper; without it no notification is pushed (PGlite and PostgreSQL both have it). */
  listen?: Database['listen'];
  /** The engine service: its `committed` events become `tasks:changed` and `instance:changed`. */
  engine?: Pick<EventEmitter<{ committed: [CommittedEvents] }>, 'on' | 'off'>;
  /** With a Redis URL, the socket.io Redis adapter connects this node with the others. */
  redisUrl?: string;
  /** Prefix of the adapter's Redis channels (default `lifeflow:socket.io`); nodes of one cluster share it. */
  redisKey?: string;
  /** This node's name, in log lines. */
  nodeId?: string;
  /** Origins besides the server's own allowed to open cookie-authenticated sockets. */
  allowedOrigins?: string[];
  /** How often a connected socket's credentials and memberships are checked again (default 5 minutes). */
  revalidateMs?: number;
  clock?: () => Date;
  log?: Logger;
}

export interface Realtime {
  io: Server;
  /** Disconnects every socket, closes the adapter, Redis clients, the LISTEN and the HTTP server. */
  close(): Promise<void>;
}

/** What a server sends to clients. */
export interface ServerToClientEvents {
  /** A new in-app notification for this user (sent once, after its transaction committed). */
  notification: (n: NotificationView) => void;
  /** User tasks this user may see changed: refetch the task list. Not replayed after a reconnect. */
  'tasks:changed': (e: TasksChanged) => void;
  /** Something committed in a process instance this socket watches (`instance:watch`): refetch it. */
  'instance:changed': (e: InstanceChanged) => void;
}

export interface InstanceChanged {
  tenantId: string;
  processInstanceKey: string;
  /** The engine event types of the commit, in order (e.g. `task.completed`, `instance.completed`). */
  events: string[];
}

/** The answer to `instance:watch`. */
export type WatchAnswer = { ok: true } | { error: string };

export interface TasksChanged {
  tenantId: string;
  processInstanceKey: string;
  changes: Array<{ userTaskKey: string; change: 'CREATED' | 'ASSIGNED' | 'COMPLETED' | 'CANCELED' }>;
}

/** The answer to `notifications:since`. */
export type SinceAnswer = { items: NotificationView[]; hasMore: boolean } | { error: string };

interface SocketData {
  principal: Principal;
  credentials: HandshakeCredentials;
}

type LifeflowServer = Server<Record<string, never>, ServerToClientEvents, Record<string, never>, SocketData>;
type LifeflowSocket = Socket<Record<string, never>, ServerToClientEvents, Record<string, never>, SocketData>;

const KEY = /^\d{1,19}$/;

/**
 * Live events over socket.io at `/socket.io`, sent only for what has committed.
 *
 * - Handshakes authenticate with the session cookie, `auth: { token }` or an Authorization header
 *   (see {@link authenticateHandshake}); a socket joins its tenants' rooms and, per tenant, its
 *   user's and groups' rooms (see rooms.ts).
 * - `notification`: every node LISTENs on `lifeflow_notifications` (sent by the transaction that
 *   wrote the rows, delivered by PostgreSQL only on commit), loads the rows and emits each to its
 *   recipient's room **on its own sockets only** (`io.local`): each node hears every NOTIFY, each
 *   socket is connected to one node, so each notification reaches each socket once.
 * - `tasks:changed`: the engine's `committed` event fires only on the node that ran the command, so
 *   it is emitted through the adapter (Redis with several nodes) to the sockets of every node.
 * - `instance:changed`: the same way, to the sockets that asked `instance:watch` for the instance
 *   (allowed when the user may read it; the room is named by tenant and key).
 * - `notifications:since` (ack): after a reconnect a client asks for its notifications after the
 *   last key it saw; live events missed while disconnected are not queued.
 */
export async function attachRealtime(httpServer: HttpServer, options: RealtimeOptions): Promise<Realtime> {
  const { knex, auth } = options;
  const log = options.log ?? defaultLog;
  const clock = options.clock ?? (() => new Date());
  const node = options.nodeId ?? 'local';
  const io: LifeflowServer = new Server(httpServer, { path: '/socket.io', serveClient: false });

  // Typed by what is used: the client types of `redis` do not assign to `ReturnType<typeof createClient>`.
  let redis: Array<{ close(): Promise<unknown> }> = [];
  if (options.redisUrl) {
    const pub = createClient({ url: options.redisUrl });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) c.on('error', (err) => log.warn('realtime: redis error', { node, err }));
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.destroy();
      sub.destroy();
      io.close().catch(() => {});
      throw new Error(`could not connect to Redis for the socket.io adapter: ${(err as Error).message}`);
    }
    redis = [pub, sub];
    io.adapter(createAdapter(pub, sub, { key: options.redisKey ?? 'lifeflow:socket.io' }));
  }

  io.use(async (socket, next) => {
    try {
      const { principal, credentials } = await authenticateHandshake(
        auth,
        { headers: socket.handshake.headers, auth: socket.handshake.auth },
        options.allowedOrigins,
      );
      const { csrfToken: _csrf, ...kept } = principal;
      socket.data.principal = kept;
      socket.data.credentials = credentials;
      next();
    } catch (err) {
      next(err as Error);
    }
  });

  io.on('connection', (socket: LifeflowSocket) => {
    socket.join(roomsFor(socket.data.principal));
    socket.on('notifications:since', (arg: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      since(socket.data.principal, arg).then(
        (answer) => ack(answer),
        (err) => {
          log.error('realtime: notifications:since failed', { node, err });
          ack({ error: 'could not load the notifications; try again' });
        },
      );
    });
    // The monitor's instance page: only someone who may read the instance hears its changes.
    socket.on('instance:watch', (key: unknown, ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (a: WatchAnswer) => void) : () => {};
      if (typeof key !== 'string' || !KEY.test(key)) {
        reply({ error: 'expected a process instance key (a decimal string)' });
        return;
      }
      findReadableInstance(knex, socket.data.principal, key).then(
        (row) => {
          socket.join(instanceRoom(row.tenant_id, key));
          reply({ ok: true });
        },
        (err) => {
          if ((err as { status?: number }).status !== 404)
            log.error('realtime: instance:watch failed', { node, err });
          reply({
            error:
              (err as { status?: number }).status === 404
                ? `expected to find process instance with key <${key}>, but none was found`
                : 'could not watch the instance; try again',
          });
        },
      );
    });
    socket.on('instance:unwatch', (key: unknown) => {
      if (typeof key !== 'string' || !KEY.test(key)) return;
      for (const room of socket.rooms) if (room.endsWith(`:instance:${key}`)) socket.leave(room);
    });
    const timer = setInterval(() => void revalidate(socket), options.revalidateMs ?? 5 * 60_000);
    timer.unref();
    socket.on('disconnect', () => clearInterval(timer));
  });

  /** The user's notifications after a key, oldest first, in the principal's tenants (or one of them). */
  async function since(principal: Principal, arg: unknown): Promise<SinceAnswer> {
    const a = (typeof arg === 'string' || arg == null ? { after: arg } : arg) as Record<string, unknown>;
    const after = a.after ?? '0';
    if (typeof after !== 'string' || !KEY.test(after)) {
      return { error: 'expected after to be a notification key (a decimal string) or absent' };
    }
    const limit = a.limit === undefined ? MAX_SINCE : Number(a.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SINCE) {
      return { error: `expected limit to be an integer from 1 to ${MAX_SINCE}` };
    }
    let tenantIds = principal.tenantIds;
    if (a.tenantId !== undefined) {
      if (typeof a.tenantId !== 'string' || !tenantIds.includes(a.tenantId)) {
        return { error: `expected tenantId to be one of your tenants (${tenantIds.join(', ')})` };
      }
      tenantIds = [a.tenantId];
    }
    if (!tenantIds.length) return { items: [], hasMore: false };
    const rows = await knex('notifications')
      .where('recipient', principal.username)
      .whereIn('tenant_id', tenantIds)
      .where('notification_key', '>', after)
      .orderBy('notification_key')
      .limit(limit + 1);
    return { items: rows.slice(0, limit).map(notificationView), hasMore: rows.length > limit };
  }

  /**
   * Checks a connected socket's credentials again: a socket whose session ended, token was revoked
   * or user was disabled is disconnected; changed memberships change its rooms. A session is only
   * read here, so an open socket does not keep an idle session alive.
   */
  async function revalidate(socket: LifeflowSocket): Promise<void> {
    const { principal, credentials } = socket.data;
    let fresh: Principal | null = null;
    try {
      if (principal.via === 'session') {
        const row = await knex('sessions').where({ session_hash: principal.sessionHash }).first();
        const now = clock().getTime();
        if (
          row &&
          new Date(row.expires_at).getTime() > now &&
          new Date(row.created_at).getTime() + auth.sessions.absoluteMs > now
        ) {
          fresh = await auth.principalFor(row.username, 'session');
          if (fresh) fresh = { ...fresh, sessionHash: principal.sessionHash };
        }
      } else {
        fresh = await auth.authenticate({ headers: credentials.headers, method: 'GET' });
      }
    } catch (err) {
      log.warn('realtime: could not check a socket’s credentials again', { node, err });
      return; // keep it: the database may be back next time
    }
    if (!fresh || fresh.username !== principal.username) {
      socket.disconnect(true);
      return;
    }
    const wanted = new Set(roomsFor(fresh));
    for (const room of socket.rooms) {
      if (room === socket.id || wanted.has(room)) continue;
      // Watched instances stay watched while the user is still a member of their tenant.
      const watchedTenant = tenantOfInstanceRoom(room);
      if (watchedTenant && fresh.tenantIds.includes(watchedTenant)) continue;
      socket.leave(room);
    }
    socket.join([...wanted]);
    socket.data.principal = fresh;
  }

  // Notifications: NOTIFY payloads name [key, tenant, recipient] (or just keys). Keys for users with
  // a socket on this node are collected and loaded in one query per batch: under load many
  // commits are announced while one load runs, and a query per NOTIFY would fall behind.
  const pending = new Set<string>();
  let loading: Promise<void> | undefined;
  const onNotify = (payload: string) => {
    let entries: unknown;
    try {
      entries = JSON.parse(payload);
    } catch {
      entries = undefined;
    }
    if (!Array.isArray(entries)) {
      log.warn('realtime: ignored a notifications NOTIFY that is not a JSON array', { node, payload });
      return;
    }
    for (const e of entries) {
      if (typeof e === 'string' && KEY.test(e)) pending.add(e);
      else if (Array.isArray(e) && typeof e[0] === 'string' && KEY.test(e[0])) {
        // Nobody here to tell: skip the query.
        if (io.of('/').adapter.rooms.has(userRoom(String(e[1]), String(e[2])))) pending.add(e[0]);
      }
    }
    if (pending.size && !loading)
      loading = drain()
        .catch((err) => log.error('realtime: could not push notifications', { node, err }))
        .finally(() => {
          loading = undefined;
        });
  };
  async function drain(): Promise<void> {
    while (pending.size) {
      const keys = [...pending].slice(0, 500);
      for (const k of keys) pending.delete(k);
      // On PostgreSQL the channel is database-wide: keys of other schemas simply find no rows here.
      const rows = await knex('notifications').whereIn('notification_key', keys).orderBy('notification_key');
      for (const row of rows) {
        io.local.to(userRoom(row.tenant_id, row.recipient)).emit('notification', notificationView(row));
      }
    }
  }
  const unlisten = options.listen ? await options.listen(NOTIFICATIONS_CHANNEL, onNotify) : undefined;
  if (!options.listen)
    log.warn('realtime: the database cannot LISTEN; notifications are not pushed', { node });

  // Task list changes: only this node hears them, so they go through the adapter to every node.
  const onCommitted = (c: CommittedEvents) => {
    tasksChanged(c).catch((err) => log.error('realtime: could not push tasks:changed', { node, err }));
  };
  async function tasksChanged({ tenantId, processInstanceKey, events }: CommittedEvents): Promise<void> {
    if (processInstanceKey && events.length)
      io.to(instanceRoom(tenantId, processInstanceKey)).emit('instance:changed', {
        tenantId,
        processInstanceKey,
        events: (events as EngineEvent[]).map((e) => e.type),
      });
    const changes: TasksChanged['changes'] = [];
    const rooms = new Set<string>();
    const lookUp: string[] = [];
    const addPeople = (t: string, assignee: string | null, users: string[], groups: string[]) => {
      if (assignee) rooms.add(userRoom(t, assignee));
      for (const u of users) rooms.add(userRoom(t, u));
      for (const g of groups) rooms.add(groupRoom(t, g));
    };
    for (const e of events as EngineEvent[]) {
      if (e.type === 'task.created') {
        changes.push({ userTaskKey: e.task.userTaskKey, change: 'CREATED' });
        addPeople(e.task.tenantId, e.task.assignee, e.task.candidateUsers, e.task.candidateGroups);
      } else if (e.type === 'task.assigned') {
        changes.push({ userTaskKey: e.userTaskKey, change: 'ASSIGNED' });
        // The previous assignee loses the task from their list.
        addPeople(tenantId, e.previous, [], []);
        lookUp.push(e.userTaskKey);
      } else if (e.type === 'task.completed' || e.type === 'task.canceled') {
        changes.push({
          userTaskKey: e.userTaskKey,
          change: e.type === 'task.completed' ? 'COMPLETED' : 'CANCELED',
        });
        lookUp.push(e.userTaskKey);
      }
    }
    if (!changes.length) return;
    if (lookUp.length) {
      const rows = await knex('user_tasks')
        .whereIn('user_task_key', [...new Set(lookUp)])
        .select('tenant_id', 'assignee', 'candidate_users', 'candidate_groups');
      for (const r of rows)
        addPeople(r.tenant_id, r.assignee, r.candidate_users ?? [], r.candidate_groups ?? []);
    }
    if (rooms.size) io.to([...rooms]).emit('tasks:changed', { tenantId, processInstanceKey, changes });
  }
  options.engine?.on('committed', onCommitted);

  let closing: Promise<void> | undefined;
  return {
    io,
    close: () => {
      closing ??= (async () => {
        options.engine?.off('committed', onCommitted);
        await unlisten?.().catch(() => {});
        await io.close();
        await loading;
        await Promise.all(redis.map((c) => c.close())).catch(() => {});
      })();
      return closing;
    },
  };
}
