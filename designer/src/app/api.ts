/**
 * The one door to the REST API: same-origin fetch with the session cookie, the session's CSRF
 * token on every write, and problem+json answers turned into ApiError (with the field errors the
 * server named, so screens can show them where they belong).
 */
export interface FieldError {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail || title);
  }
}

let csrfToken: string | undefined;
const expiredListeners = new Set<() => void>();

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when the server answers 401 to a request of a logged-in user: the session ended. */
export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

async function problemOf(res: Response): Promise<ApiError> {
  let body: any;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  return new ApiError(
    res.status,
    body?.title ?? res.statusText,
    body?.detail ?? `${res.status} ${res.statusText}`,
    Array.isArray(body?.errors) ? body.errors : [],
  );
}

export interface RequestOptions {
  /** Do not report a 401 as an expired session (the login and the first "who am I"). */
  anonymous?: boolean;
  /** Answer text instead of JSON. */
  text?: boolean;
}

export async function request<T = any>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, 'NETWORK_ERROR', (err as Error).message);
  }
  if (res.status === 401 && !options.anonymous) for (const l of expiredListeners) l();
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  if (options.text) return (await res.text()) as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const api = {
  get: <T = any>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T = any>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, body ?? {}, options),
  put: <T = any>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
  delete: <T = any>(path: string) => request<T>('DELETE', path),
};
