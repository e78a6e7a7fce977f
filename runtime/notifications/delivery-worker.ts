import { createHmac } from 'node:crypto';
import type { Knex } from 'knex';
import { createTransport } from 'nodemailer';
import type { MailSettings } from '../jobs/builtin-workers.js';
import { log } from '../logging/logger.js';
import { refusedUrl } from '../net/allowlist.js';
import type { Database } from '../persistence/db.js';
import { DELIVERIES_CHANNEL } from './notification-service.js';

export interface DeliverySettings {
  /** First retry after this long; each further retry waits four times longer (default 30 s). */
  retryBaseMs: number;
  /** Give up after this many attempts (default 8: the last one about 2 days after the first). */
  maxAttempts: number;
  /** How long a claimed delivery is held before another worker may take it (default 60 s). */
  lockMs: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = {
  retryBaseMs: 30_000,
  maxAttempts: 8,
  lockMs: 60_000,
};

/** Signs a webhook body: HMAC-SHA256 over `<timestamp>.<body>` with the webhook's secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Handlebars output is HTML-escaped; an email subject is a header, so it is shown unescaped. */
function unescapeHtml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&#x60;/g, '`')
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&');
}

/**
 * Sends the outbox: claims due deliveries with FOR UPDATE SKIP LOCKED under a lock with expiry,
 * sends each (email over SMTP, webhook as a signed POST), and records the outcome on the row (the
 * delivery log): sent, or retried with exponential back-off, or failed for good after the last
 * attempt. Sleeps until the nearest retry and wakes on NOTIFY when new deliveries are written.
 */
export class DeliveryWorker {
  private stopped = true;
  private wakeUp: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private transport: ReturnType<typeof createTransport> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly clock: () => Date,
    private readonly node: string,
    private readonly allowedHosts: string[],
    private readonly mail: MailSettings,
    private readonly settings: DeliverySettings = DEFAULT_DELIVERY_SETTINGS,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  wake(): void {
    this.wakeUp?.();
  }

  async start(listen?: Database['listen']): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    if (listen) this.unlisten = await listen(DELIVERIES_CHANNEL, () => this.wake());
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopDone;
    await this.unlisten?.();
    this.transport?.close();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let wait = 60_000;
      try {
        while ((await this.runDue()) > 0 && !this.stopped) {}
        const next = await this.knex('notification_deliveries')
          .where({ state: 'PENDING' })
          .min({ t: 'next_attempt_at' })
          .first();
        if (next?.t) wait = Math.min(wait, Math.max(50, new Date(next.t).getTime() - this.clock().getTime()));
      } catch (err) {
        if (this.stopped) return;
        log.error('notification delivery failed', { err });
        wait = 5_000;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Claims and sends what is due now; returns how many were attempted. */
  async runDue(limit = 20): Promise<number> {
    const now = this.clock();
    const claimed = await this.knex.raw(
      `update notification_deliveries set locked_by = ?, lock_expires_at = ?, attempts = attempts + 1
        where delivery_key in (
          select delivery_key from notification_deliveries
           where state = 'PENDING' and next_attempt_at <= ? and (lock_expires_at is null or lock_expires_at <= ?)
           order by next_attempt_at limit ? for update skip locked)
        returning *`,
      [this.node, new Date(now.getTime() + this.settings.lockMs), now, now, limit],
    );
    const rows = claimed.rows as any[];
    await Promise.all(rows.map((row) => this.deliver(row)));
    return rows.length;
  }

  private async deliver(row: any): Promise<void> {
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = row.channel === 'EMAIL' ? await this.sendEmail(row) : await this.sendWebhook(row);
    } catch (err) {
      error = (err as Error).message.slice(0, 1000);
      status = (err as { status?: number }).status ?? null;
    }
    const now = this.clock();
    const mine = { delivery_key: row.delivery_key, locked_by: this.node };
    if (error === null) {
      await this.knex('notification_deliveries').where(mine).update({
        state: 'SENT',
        sent_at: now,
        last_status: status,
        last_error: null,
        locked_by: null,
        lock_expires_at: null,
      });
      return;
    }
    const attempts = Number(row.attempts);
    const giveUp = attempts >= this.settings.maxAttempts || error.startsWith('permanent:');
    const delay = Math.min(this.settings.retryBaseMs * 4 ** (attempts - 1), 6 * 3600_000);
    await this.knex('notification_deliveries')
      .where(mine)
      .update({
        state: giveUp ? 'FAILED' : 'PENDING',
        next_attempt_at: new Date(now.getTime() + delay),
        last_status: status,
        last_error: error,
        locked_by: null,
        lock_expires_at: null,
      });
  }

  private async sendEmail(row: any): Promise<number | null> {
    if (!this.mail.smtpUrl) throw new Error('no SMTP server is configured (SMTP_URL)');
    this.transport ??= createTransport(this.mail.smtpUrl);
    const payload = row.payload as { subject: string; html: string };
    await this.transport.sendMail({
      from: this.mail.from,
      to: row.target,
      subject: unescapeHtml(payload.subject),
      html: payload.html,
    });
    return null;
  }

  private async sendWebhook(row: any): Promise<number> {
    const hook = await this.knex('webhooks')
      .where({ webhook_key: row.target, tenant_id: row.tenant_id })
      .first();
    if (!hook?.enabled) throw new Error('permanent: the webhook was deleted or disabled');
    const refused = refusedUrl(hook.url, this.allowedHosts);
    if (refused) throw new Error(`permanent: ${refused}`);
    const body = JSON.stringify(row.payload);
    const timestamp = String(Math.floor(this.clock().getTime() / 1000));
    const res = await this.fetchImpl(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Lifeflow-Webhook/1',
        'x-lifeflow-event': row.event,
        'x-lifeflow-delivery': String(row.delivery_key),
        'x-lifeflow-timestamp': timestamp,
        'x-lifeflow-signature': signWebhook(hook.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    if (res.status < 200 || res.status >= 300)
      throw Object.assign(new Error(`the endpoint answered ${res.status}`), { status: res.status });
    return res.status;
  }
}
