import {
  App,
  Button,
  Card,
  Drawer,
  Empty,
  Input,
  Modal,
  Skeleton,
  Space,
  Tabs,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../../app/api.js';
import { ProblemAlert } from '../../app/problem.js';
import './texts.js';

type Tab = 'started' | 'cc' | 'done';
const TABS: Tab[] = ['started', 'cc', 'done'];

interface Item {
  kind: 'TASK' | 'INSTANCE' | 'CC';
  userTaskKey: string | null;
  processInstanceKey: string | null;
  processName: string | null;
  processDefinitionId: string | null;
  taskName: string | null;
  initiator: string | null;
  state: string | null;
  creationDate: string | null;
  startDate: string | null;
  completionDate: string | null;
  notificationKey: string | null;
  read: boolean | null;
}

interface TimelineEntry {
  at: string;
  actor: { username: string; name?: string | null } | null;
  action: string;
  elementId: string | null;
  elementName: string | null;
  to: Array<{ username: string; name?: string | null }>;
  comment: string | null;
}

interface Step {
  elementId: string;
  name: string;
  holders: string[];
}

const when = (iso: string | null, lang: string) =>
  iso ? new Date(iso).toLocaleString(lang.startsWith('zh') ? 'zh-CN' : 'en', { hour12: false }) : '';

const personName = (p: { username: string; name?: string | null }) => p.name || p.username;

/** The open user-task steps of an instance and who holds each (from the approval timeline). */
async function currentSteps(processInstanceKey: string): Promise<Step[]> {
  const [elements, timeline] = await Promise.all([
    api.post<{ items: Array<{ elementId: string; elementName: string | null; type: string }> }>(
      '/v2/element-instances/search',
      { filter: { processInstanceKey, state: 'ACTIVE' }, page: { limit: 100 } },
    ),
    api.get<{ items: TimelineEntry[] }>(`/v2/process-instances/${processInstanceKey}/history?view=timeline`),
  ]);
  const steps = new Map<string, Step>();
  for (const e of elements.items)
    if (e.type === 'USER_TASK' && !steps.has(e.elementId))
      steps.set(e.elementId, { elementId: e.elementId, name: e.elementName || e.elementId, holders: [] });
  for (const entry of timeline.items) {
    const step = entry.elementId ? steps.get(entry.elementId) : undefined;
    if (step && entry.to?.length) step.holders = entry.to.map(personName);
  }
  return [...steps.values()];
}

function CommentDialog({
  kind,
  processInstanceKey,
  onClose,
}: {
  kind: 'withdraw' | 'urge';
  processInstanceKey: string;
  onClose(done: boolean): void;
}) {
  const { t } = useTranslation('requests');
  const { message } = App.useApp();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const path = kind === 'withdraw' ? 'withdrawal' : 'urge';
      await api.post(
        `/v2/process-instances/${processInstanceKey}/${path}`,
        comment.trim() ? { comment } : {},
      );
      message.success(t(kind === 'withdraw' ? 'withdrawn' : 'urged'));
      onClose(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t(kind === 'withdraw' ? 'withdrawTitle' : 'urgeTitle')}
      okText={t('ok')}
      cancelText={t('cancel')}
      confirmLoading={busy}
      onOk={() => void send()}
      onCancel={() => onClose(false)}
      okButtonProps={{ 'data-testid': 'request-dialog-ok' } as any}
    >
      <ProblemAlert error={error} />
      <Typography.Text>{t('comment')}</Typography.Text>
      <Input.TextArea
        data-testid="request-comment"
        rows={3}
        maxLength={500}
        value={comment}
        placeholder={t('commentPlaceholder')}
        onChange={(e) => setComment(e.target.value)}
      />
    </Modal>
  );
}

function RequestCard({
  tab,
  item,
  onOpen,
  onChanged,
}: {
  tab: Tab;
  item: Item;
  onOpen(item: Item): void;
  onChanged(): void;
}) {
  const { t, i18n } = useTranslation('requests');
  const [steps, setSteps] = useState<Step[]>();
  const [dialog, setDialog] = useState<'withdraw' | 'urge'>();
  const [error, setError] = useState<unknown>();
  const key = item.processInstanceKey ?? '';
  const active = item.state === 'ACTIVE';

  useEffect(() => {
    if (tab !== 'started' || !active || !key) return;
    currentSteps(key).then(setSteps, setError);
  }, [tab, active, key]);

  const markRead = async () => {
    if (!item.notificationKey) return;
    try {
      await api.post(`/v2/notifications/${item.notificationKey}/read`);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  const stop = (e: { stopPropagation(): void }) => e.stopPropagation();
  const title =
    item.kind === 'TASK' ? `${item.taskName ?? ''} · ${item.processName ?? ''}` : item.processName;
  const date =
    tab === 'done'
      ? t('completedAt', { at: when(item.completionDate, i18n.language) })
      : tab === 'cc'
        ? t('sentAt', { at: when(item.creationDate, i18n.language) })
        : t('startedAt', { at: when(item.startDate, i18n.language) });

  return (
    <Card
      size="small"
      hoverable
      data-testid={`request-item-${key}`}
      onClick={() => onOpen(item)}
      style={{ marginBottom: 8 }}
    >
      <Space direction="vertical" size={4} style={{ width: '100%' }}>
        <Space wrap>
          <Typography.Text strong>{title}</Typography.Text>
          {item.state && (
            <Tag data-testid="request-state" color={active ? 'processing' : 'default'}>
              {t(`state.${item.state}`, { defaultValue: item.state })}
            </Tag>
          )}
          {tab === 'cc' && (
            <Tag color={item.read ? 'default' : 'red'} data-testid="request-read-state">
              {item.read ? t('read') : t('unread')}
            </Tag>
          )}
        </Space>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {date}
          {tab === 'cc' && item.initiator ? ` · ${t('from', { name: item.initiator })}` : ''}
        </Typography.Text>
        {steps?.map((s) => (
          <Typography.Text key={s.elementId} data-testid="request-step">
            {t('current')}
            {s.name}
            {s.holders.length ? ` · ${t('holders', { names: s.holders.join('、') })}` : ''}
          </Typography.Text>
        ))}
        <ProblemAlert error={error} onClose={() => setError(undefined)} />
        {tab === 'started' && active && (
          // biome-ignore lint/a11y/noStaticElementInteractions: only keeps the card's click away
          <div onClick={stop} onKeyDown={stop}>
            <Space>
              <Button size="small" data-testid="request-urge" onClick={() => setDialog('urge')}>
                {t('urge')}
              </Button>
              <Button
                size="small"
                danger
                data-testid="request-withdraw"
                onClick={() => setDialog('withdraw')}
              >
                {t('withdraw')}
              </Button>
            </Space>
          </div>
        )}
        {tab === 'cc' && !item.read && item.notificationKey && (
          <Button
            size="small"
            data-testid="request-mark-read"
            onClick={(e) => {
              e.stopPropagation();
              void markRead();
            }}
          >
            {t('markRead')}
          </Button>
        )}
      </Space>
      {dialog && (
        // biome-ignore lint/a11y/noStaticElementInteractions: only keeps the dialog's clicks off the card
        <div onClick={stop} onKeyDown={stop}>
          <CommentDialog
            kind={dialog}
            processInstanceKey={key}
            onClose={(done) => {
              setDialog(undefined);
              if (done) onChanged();
            }}
          />
        </div>
      )}
    </Card>
  );
}

function RequestList({ tab, onOpen }: { tab: Tab; onOpen(item: Item): void }) {
  const { t } = useTranslation('requests');
  const [items, setItems] = useState<Item[]>();
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => {
    api
      .post<{ items: Item[] }>('/v2/inbox/search', { filter: { tab }, page: { limit: 50 } })
      .then((r) => {
        setItems(r.items);
        setError(undefined);
      })
      .catch(setError);
  }, [tab]);
  useEffect(load, [load]);
  if (error) return <ProblemAlert error={error} />;
  if (!items) return <Skeleton active />;
  if (!items.length) return <Empty description={t('empty')} />;
  return (
    <div data-testid={`requests-list-${tab}`}>
      {items.map((item) => (
        <RequestCard
          key={`${item.kind}-${item.userTaskKey ?? item.notificationKey ?? item.processInstanceKey}`}
          tab={tab}
          item={item}
          onOpen={onOpen}
          onChanged={load}
        />
      ))}
    </div>
  );
}

/** The instance's approval timeline and its printable record (审批单). */
export function InstanceDrawer({
  processInstanceKey,
  onClose,
}: {
  processInstanceKey: string;
  onClose(): void;
}) {
  const { t, i18n } = useTranslation('requests');
  const [entries, setEntries] = useState<TimelineEntry[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setEntries(undefined);
    api
      .get<{ items: TimelineEntry[] }>(`/v2/process-instances/${processInstanceKey}/history?view=timeline`)
      .then((r) => setEntries(r.items), setError);
  }, [processInstanceKey]);
  const lang = i18n.language.startsWith('zh') ? 'zh-CN' : 'en';
  return (
    <Drawer
      open
      title={t('detail')}
      onClose={onClose}
      size="large"
      styles={{ wrapper: { maxWidth: '100vw' } }}
      data-testid="request-drawer"
    >
      <ProblemAlert error={error} />
      <Space style={{ marginBottom: 12 }}>
        <Typography.Link
          href={`/v2/process-instances/${processInstanceKey}/record?lang=${lang}`}
          target="_blank"
          data-testid="request-record"
        >
          {t('record')}
        </Typography.Link>
      </Space>
      <Typography.Title level={5}>{t('timeline')}</Typography.Title>
      {!entries && !error ? (
        <Skeleton active />
      ) : (
        <Timeline
          data-testid="request-timeline"
          items={(entries ?? []).map((e, i) => ({
            key: i,
            children: (
              <div>
                <Typography.Text strong>{e.actor ? personName(e.actor) : ''}</Typography.Text>{' '}
                {t(`action.${e.action}`, { defaultValue: e.action })}
                {e.to?.length ? ` ${e.to.map(personName).join('、')}` : ''}
                {e.elementName ? ` · ${e.elementName}` : ''}
                <br />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {when(e.at, i18n.language)}
                </Typography.Text>
                {e.comment && <Typography.Paragraph style={{ margin: 0 }}>{e.comment}</Typography.Paragraph>}
              </div>
            ),
          }))}
        />
      )}
    </Drawer>
  );
}

/** 我的申请: what I started (withdraw, urge), what was copied to me (已阅), what I did (已办). */
export default function RequestsArea() {
  const { t } = useTranslation('requests');
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab = (TABS as string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'started';
  const instance = params.get('instance');
  const setParam = (name: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  };
  const open = (item: Item) => {
    if (item.kind === 'TASK' && item.userTaskKey) navigate(`/workspace/inbox/tasks/${item.userTaskKey}`);
    else if (item.processInstanceKey) setParam('instance', item.processInstanceKey);
  };
  return (
    <div data-testid="requests">
      <Tabs
        activeKey={tab}
        onChange={(k) => setParam('tab', k === 'started' ? null : k)}
        destroyOnHidden
        items={TABS.map((k) => ({
          key: k,
          label: <span data-testid={`requests-tab-${k}`}>{t(`tabs.${k}`)}</span>,
          children: <RequestList tab={k} onOpen={open} />,
        }))}
      />
      {instance && (
        <InstanceDrawer processInstanceKey={instance} onClose={() => setParam('instance', null)} />
      )}
    </div>
  );
}
