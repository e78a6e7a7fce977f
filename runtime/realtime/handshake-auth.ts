import type { IncomingHttpHeaders } from 'node:http';
import type { Authenticator, Principal } from '../auth/authenticate.js';

/** What a socket proved at its handshake, kept to check it again later. */
export interface HandshakeCredentials {
  headers: IncomingHttpHeaders;
}

/** A refused handshake: socket.io sends `message` and `data` to the client's `connect_error`. */
export class HandshakeError extends Error {
  readonly data: { status: number };
  constructor(message: string, status: number) {
    super(message);
    this.data = { status };
  }
}

/**
 * The principal of a socket.io handshake, from (in this order) `auth.token` (a bearer API token),
 * the Authorization header (Basic or Bearer), or the `lifeflow_session` cookie.
 *
 * Browsers attach cookies and cached Basic credentials to a WebSocket opened by any page, so a
 * handshake authenticated that way must come from our own origin (cross-site WebSocket hijacking):
 * its Origin must name the Host it was sent to, or one of `allowedOrigins`. A bearer token cannot
 * be attached by a browser on its own, so token handshakes are accepted from anywhere.
 *
 * @throws HandshakeError `unauthorized: …` (no or invalid credentials) or `forbidden: …` (origin).
 */
export async function authenticateHandshake(
  auth: Pick<Authenticator, 'authenticate'>,
  handshake: { headers: IncomingHttpHeaders; auth?: Record<string, unknown> },
  allowedOrigins: readonly string[] = [],
): Promise<{ principal: Principal; credentials: HandshakeCredentials }> {
  const token = handshake.auth?.token;
  if (token !== undefined && (typeof token !== 'string' || !token.trim())) {
    throw new HandshakeError('unauthorized: auth.token must be a non-empty string (an API token)', 401);
  }
  // Only the credential headers are kept: the principal is checked again with them later.
  const headers: IncomingHttpHeaders = token
    ? { authorization: `Bearer ${token.trim()}` }
    : { authorization: handshake.headers.authorization, cookie: handshake.headers.cookie };
  if (!headers.authorization && !headers.cookie) {
    throw new HandshakeError(
      'unauthorized: send the session cookie, auth.token (an API token) or an Authorization header',
      401,
    );
  }
  let principal: Principal | null;
  try {
    principal = await auth.authenticate({ headers, method: 'GET' });
  } catch {
    principal = null;
  }
  if (!principal) {
    throw new HandshakeError('unauthorized: the credentials are not valid (or the session has ended)', 401);
  }
  if (principal.via !== 'token') assertSameOrigin(handshake.headers, allowedOrigins);
  return { principal, credentials: { headers } };
}

function assertSameOrigin(headers: IncomingHttpHeaders, allowedOrigins: readonly string[]): void {
  const origin = headers.origin;
  if (!origin) {
    // Same-origin requests that are not WebSockets may omit Origin; cross-site ones say so here.
    if (headers['sec-fetch-site'] === 'cross-site') {
      throw new HandshakeError('forbidden: a cross-site handshake may not use the session cookie', 403);
    }
    return;
  }
  if (allowedOrigins.includes(origin)) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (!host || host.toLowerCase() !== String(headers.host ?? '').toLowerCase()) {
    throw new HandshakeError(
      `forbidden: origin <${origin}> may not use the session cookie or Basic credentials of <${headers.host ?? ''}>; connect with auth.token instead`,
      403,
    );
  }
}
