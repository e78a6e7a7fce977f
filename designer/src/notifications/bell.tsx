import { BellOutlined } from '@ant-design/icons';
import { App, Badge, Button, Drawer, Empty, Space, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { liveSocket } from '../app/live.js';
import './texts.js';

interface Notice {
  notificationKey: string;
  event: string;
  title: string;
  body: string;
  processInstanceKey: string | null;
  userTaskKey: string | null;
  createdAt: string;
  readAt: string | null;
}

const PAGE = 20;
const TASK_EVENTS = new Set([
  'TASK_CREATED',
  'TASK_ASSIGNED',
  'TASK_REMINDER',
  'TASK_DUE_SOON',
  'TASK_OVERDUE',
]);

/** Newest first, each key once (the newer copy wins). */
function merge(list: Notice[], more: Notice[]): Notice[] {
  const byKey = new Map<string, Notice>();
  for (const n of [...more, ...list]) if (!byKey.has(n.notificationKey)) byKey.set(n.notificationKey, n);
  return [...byKey.values()].sort((a, b) =>
    BigInt(b.notificationKey) > BigInt(a.notificationKey)
      ? 1
      : BigInt(b.notificationKey) < BigInt(a.notificationKey)
        ? -1
        : 0,
  );
}

const maxKey = (a: string | undefined, b: string) => (!a || BigInt(b) > BigInt(a) ? b : a);

/**
 * The notification bell in the frame's header: unread count live over socket.io, a toast when a
 * notification arrives (task arrivals first of all), the list with mark-read / mark-all-read. After
 * a reconnect it asks the server for what came meanwhile (`notifications:since`).
 */
export default function NotificationBell() {
  const { t, i18n } = useTranslation('notifications');
  const { tenantId } = useSession();
  const { notification } = App.useApp();
  const navigate = useNavigate();
  const [count, setCount] = useState(0);
  const [items, setItems] = useState<Notice[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const lastKey = useRef<string | undefined>(undefined);

  const refreshCount = useCallback(() => {
    api.get<{ count: number }>('/v2/notifications/unread-count').then(
      (r) => setCount(r.count),
      () => {},
    );
  }, []);

  const loaded = useRef(0);
  const loadPage = useCallback(async (from = 0) => {
    const r = await api.post<{ items: Notice[]; page: { totalItems: number } }>('/v2/notifications/search', {
      page: { from, limit: PAGE },
    });
    for (const n of r.items) lastKey.current = maxKey(lastKey.current, n.notificationKey);
    loaded.current = from + r.items.length;
    setItems((list) => merge(from === 0 ? [] : list, r.items));
    setHasMore(from + r.items.length < r.page.totalItems);
  }, []);

  const openItem = useCallback(
    (n: Notice) => {
      if (!n.readAt) {
        setItems((list) => list.map((x) => (x === n ? { ...x, readAt: new Date().toISOString() } : x)));
        api.post(`/v2/notifications/${n.notificationKey}/read`).then(refreshCount, setError);
      }
      setOpen(false);
      if (n.userTaskKey) navigate(`/workspace/inbox/tasks/${n.userTaskKey}`);
      else if (n.processInstanceKey) navigate(`/workspace/requests?instance=${n.processInstanceKey}`);
    },
    [navigate, refreshCount],
  );
  const openRef = useRef(openItem);
  openRef.current = openItem;

  // The count and the newest page, again when the tenant changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the tenant changes
  useEffect(() => {
    refreshCount();
    loadPage().catch(() => {});
  }, [tenantId, refreshCount, loadPage]);

  // Live: each new notification, and after a reconnect what was missed meanwhile.
  useEffect(() => {
    const socket = liveSocket();
    const onNotification = (n: Notice) => {
      lastKey.current = maxKey(lastKey.current, n.notificationKey);
      setItems((list) => merge(list, [n]));
      setCount((c) => c + 1);
      const task = TASK_EVENTS.has(n.event);
      notification.info({
        key: `lf-notification-${n.notificationKey}`,
        message: (
          <span data-testid="bell-toast">{n.title || (task ? t('newTask') : t('newNotification'))}</span>
        ),
        description: n.body,
        placement: 'topRight',
        onClick: () => openRef.current(n),
      });
    };
    let connectedBefore = socket.connected;
    const onConnect = () => {
      if (!connectedBefore) {
        connectedBefore = true;
        if (!lastKey.current) return;
      }
      socket.emit(
        'notifications:since',
        { after: lastKey.current ?? '0' },
        (answer: { items?: Notice[]; hasMore?: boolean; error?: string }) => {
          if (!answer?.items) return;
          for (const n of answer.items) lastKey.current = maxKey(lastKey.current, n.notificationKey);
          setItems((list) => merge(list, answer.items ?? []));
          refreshCount();
        },
      );
    };
    socket.on('notification', onNotification);
    socket.on('connect', onConnect);
    return () => {
      socket.off('notification', onNotification);
      socket.off('connect', onConnect);
    };
  }, [notification, refreshCount, t]);

  const markAll = async () => {
    try {
      await api.post('/v2/notifications/read-all');
      const now = new Date().toISOString();
      setItems((list) => list.map((n) => (n.readAt ? n : { ...n, readAt: now })));
      setCount(0);
    } catch (err) {
      setError(err);
    }
  };

  const markOne = async (n: Notice) => {
    try {
      await api.post(`/v2/notifications/${n.notificationKey}/read`);
      setItems((list) =>
        list.map((x) =>
          x.notificationKey === n.notificationKey ? { ...x, readAt: new Date().toISOString() } : x,
        ),
      );
      refreshCount();
    } catch (err) {
      setError(err);
    }
  };

  const lang = i18n.language.startsWith('zh') ? 'zh-CN' : 'en';
  return (
    <>
      <Badge count={count} size="small" overflowCount={99}>
        <Button
          type="text"
          shape="circle"
          data-testid="bell"
          aria-label={t('bell', { count })}
          icon={<BellOutlined style={{ color: '#fff', fontSize: 18 }} />}
          onClick={() => setOpen(true)}
        />
      </Badge>
      <span data-testid="bell-count" data-count={count} hidden>
        {count}
      </span>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        title={t('title')}
        placement="right"
        styles={{ wrapper: { width: 'min(400px, 100vw)' } }}
        extra={
          <Button
            size="small"
            data-testid="bell-read-all"
            disabled={count === 0}
            onClick={() => void markAll()}
          >
            {t('markAll')}
          </Button>
        }
      >
        <ProblemAlert error={error} onClose={() => setError(undefined)} />
        <div data-testid="bell-list">
          {items.length === 0 ? (
            <Empty description={t('empty')} />
          ) : (
            items.map((n) => (
              // biome-ignore lint/a11y/useSemanticElements: a row holding its own button
              <div
                key={n.notificationKey}
                role="button"
                tabIndex={0}
                data-testid={`bell-item-${n.notificationKey}`}
                data-read={n.readAt ? 'true' : 'false'}
                onClick={() => openItem(n)}
                onKeyDown={(e) => e.key === 'Enter' && openItem(n)}
                style={{
                  padding: '8px 4px',
                  borderBottom: '1px solid #f0f0f0',
                  cursor: 'pointer',
                  background: n.readAt ? undefined : '#e6f4ff',
                }}
              >
                <Space style={{ width: '100%', justifyContent: 'space-between' }} align="start">
                  <Typography.Text strong={!n.readAt}>{n.title}</Typography.Text>
                  {!n.readAt && (
                    <Button
                      size="small"
                      type="link"
                      data-testid="bell-mark-read"
                      onClick={(e) => {
                        e.stopPropagation();
                        void markOne(n);
                      }}
                    >
                      {t('markRead')}
                    </Button>
                  )}
                </Space>
                <Typography.Paragraph type="secondary" style={{ margin: 0, fontSize: 12 }}>
                  {n.body}
                </Typography.Paragraph>
                <Typography.Text type="secondary" style={{ fontSize: 11 }}>
                  {new Date(n.createdAt).toLocaleString(lang, { hour12: false })}
                </Typography.Text>
              </div>
            ))
          )}
          {hasMore && (
            <Button block type="link" onClick={() => void loadPage(loaded.current).catch(setError)}>
              {t('more')}
            </Button>
          )}
        </div>
      </Drawer>
    </>
  );
}
