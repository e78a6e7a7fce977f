/**
 * Outgoing HTTP from the server (the `http` job type, webhooks) reaches only hosts the
 * administrator allowed (HTTP_ALLOWED_HOSTS): an entry `host:port` allows that port, an entry
 * without a port the scheme's default port only. URLs with credentials are refused.
 * Returns the reason a URL is refused, or null when it may be called.
 */
export function refusedUrl(raw: string, allowedHosts: string[]): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid absolute URL';
  }
  if (!['http:', 'https:'].includes(url.protocol)) return 'must use http or https';
  if (url.username || url.password) return 'must not carry credentials';
  const hostOnly = url.port === '' && allowedHosts.includes(url.hostname.toLowerCase());
  if (!(allowedHosts.includes(url.host.toLowerCase()) || hostOnly))
    return `the host <${url.host}> is not on the allowlist (HTTP_ALLOWED_HOSTS)`;
  return null;
}
