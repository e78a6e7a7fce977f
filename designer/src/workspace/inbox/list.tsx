import {
  Button,
  Card,
  Col,
  Empty,
  Grid,
  Input,
  List,
  message,
  Row,
  Select,
  Space,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { api } from '../../app/api.js';
import { ProblemAlert } from '../../app/problem.js';
import { useSession } from '../../app/session.js';
import { liveSocket } from '../../app/live.js';
import './texts.js';

export const TABS = ['todo', 'unclaimed', 'done', 'cc', 'overdue'] as const;
export type Tab = (typeof TABS)[number];

export interface InboxItem {
  kind: 'TASK' | 'INSTANCE' | 'CC';
  userTaskKey: string | null;
  processInstanceKey: string | null;
  processDefinitionId: string | null;
  processName: string | null;
  businessKey: string | null;
  taskName: string | null;
  assignee: string | null;
  initiator: string | null;
  state: string | null;
  creationDate: string | null;
  dueDate: string | null;
  completionDate: string | null;
  overdue: boolean;
  notificationKey: string | null;
  read: boolean | null;
}

type Counts = Partial<Record<Tab, number>>;
const PAGE_SIZE = 10;

export const formatTime = (iso: string | null | undefined, lang: string) =>
  iso ? new Date(iso).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' }) : '';

/** 待办 / 待认领 / 已办 / 抄送我的 / 逾期, with live counts (socket.io `tasks:changed`). */
export function InboxList() {
  const { t, i18n } = useTranslation('inbox');
  const { me } = useSession();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const [tab, setTab] = useState<Tab>('todo');
  const [search, setSearch] = useState('');
  const [processId, setProcessId] = useState<string>();
  const [pageNo, setPageNo] = useState(1);
  const [counts, setCounts] = useState<Counts>({});
  const [items, setItems] = useState<InboxItem[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [processes, setProcesses] = useState<Array<{ value: string; label: string }>>([]);
  const [claiming, setClaiming] = useState<string>();
  const query = useRef({ tab, search, processId, pageNo });
  query.current = { tab, search, processId, pageNo };

  const load = useCallback(async () => {
    const q = query.current;
    setLoading(true);
    try {
      const filter: Record<string, unknown> = { tab: q.tab };
      if (q.search) filter.search = q.search;
      if (q.processId) filter.processDefinitionId = q.processId;
      const [res, all] = await Promise.all([
        api.post('/v2/inbox/search', {
          filter,
          page: { from: (q.pageNo - 1) * PAGE_SIZE, limit: PAGE_SIZE },
        }),
        api.get('/v2/inbox/counts'),
      ]);
      if (query.current !== q && JSON.stringify(query.current) !== JSON.stringify(q)) return;
      setItems(res.items ?? []);
      setTotal(res.page?.totalItems ?? 0);
      // The tab counts follow the filters when there are any, else the whole inbox.
      setCounts(q.search || q.processId ? res.counts : all);
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: load reads the query from its ref; reload when it changes
  useEffect(() => {
    void load();
  }, [load, tab, search, processId, pageNo]);

  useEffect(() => {
    const socket = liveSocket();
    const refresh = () => void load();
    socket.on('tasks:changed', refresh);
    socket.on('connect', refresh);
    return () => {
      socket.off('tasks:changed', refresh);
      socket.off('connect', refresh);
    };
  }, [load]);

  useEffect(() => {
    // The processes this user can see, for the filter (nothing when not allowed to list them).
    api
      .post('/v2/process-definitions/search', { filter: { isLatestVersion: true }, page: { limit: 100 } })
      .then((res) =>
        setProcesses(
          (res.items ?? []).map((d: any) => ({
            value: d.processDefinitionId,
            label: d.name || d.processDefinitionId,
          })),
        ),
      )
      .catch(() => setProcesses([]));
  }, []);

  const claim = async (item: InboxItem) => {
    if (!item.userTaskKey || !me) return;
    setClaiming(item.userTaskKey);
    try {
      await api.post(`/v2/user-tasks/${item.userTaskKey}/assignment`, { assignee: me.username });
      message.success(t('claimed'));
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setClaiming(undefined);
    }
  };

  const open = (item: InboxItem) => {
    if (item.userTaskKey) navigate(`/workspace/inbox/tasks/${item.userTaskKey}`);
    else if (item.processInstanceKey) navigate(`/workspace/requests/${item.processInstanceKey}`);
  };

  const lang = i18n.language;
  return (
    <div data-testid="inbox">
      <Tabs
        activeKey={tab}
        onChange={(k) => {
          setTab(k as Tab);
          setPageNo(1);
        }}
        size={screens.md ? 'middle' : 'small'}
        items={TABS.map((key) => ({
          key,
          label: (
            <span data-testid={`inbox-tab-${key}`}>
              {t(`tabs.${key}`)}{' '}
              <Tag
                data-testid={`inbox-count-${key}`}
                color={key === 'overdue' && counts[key] ? 'red' : undefined}
                style={{ marginInlineEnd: 0 }}
              >
                {counts[key] ?? 0}
              </Tag>
            </span>
          ),
        }))}
      />
      <Row gutter={[8, 8]} style={{ marginBottom: 12 }}>
        <Col xs={24} md={14}>
          <Input.Search
            allowClear
            data-testid="inbox-search"
            placeholder={t('search')}
            onSearch={(v) => {
              setSearch(v.trim());
              setPageNo(1);
            }}
          />
        </Col>
        <Col xs={24} md={10}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            data-testid="inbox-process"
            style={{ width: '100%' }}
            placeholder={t('allProcesses')}
            value={processId}
            options={processes}
            onChange={(v) => {
              setProcessId(v);
              setPageNo(1);
            }}
          />
        </Col>
      </Row>
      {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
      <List
        loading={loading}
        dataSource={items}
        locale={{ emptyText: <Empty description={t('empty')} /> }}
        rowKey={(item) => item.userTaskKey ?? item.notificationKey ?? item.processInstanceKey ?? ''}
        pagination={
          total > PAGE_SIZE
            ? {
                current: pageNo,
                pageSize: PAGE_SIZE,
                total,
                onChange: setPageNo,
                size: 'small',
                simple: !screens.md,
              }
            : false
        }
        renderItem={(item) => (
          <List.Item style={{ padding: '4px 0', border: 'none' }}>
            <Card
              size="small"
              hoverable
              style={{ width: '100%' }}
              data-testid={`inbox-item-${item.userTaskKey ?? item.processInstanceKey}`}
              onClick={() => open(item)}
            >
              <Row gutter={[8, 4]} align="middle" wrap>
                <Col flex="auto" style={{ minWidth: 0 }}>
                  <Space size={4} wrap>
                    <Typography.Text strong>{item.taskName ?? item.processName}</Typography.Text>
                    {item.kind !== 'TASK' ? <Tag>{t(`kind.${item.kind}`)}</Tag> : null}
                    {item.overdue ? <Tag color="red">{t('overdue')}</Tag> : null}
                    {item.kind === 'CC' && item.read === false ? <Tag color="blue">NEW</Tag> : null}
                  </Space>
                  <div>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {[
                        item.processName,
                        item.businessKey,
                        item.initiator ? `${t('started')}: ${item.initiator}` : null,
                        item.completionDate
                          ? `${t('completedAt')}: ${formatTime(item.completionDate, lang)}`
                          : `${t('createdAt')}: ${formatTime(item.creationDate, lang)}`,
                        item.dueDate ? `${t('due')}: ${formatTime(item.dueDate, lang)}` : null,
                      ]
                        .filter(Boolean)
                        .join(' · ')}
                    </Typography.Text>
                  </div>
                </Col>
                <Col>
                  {tab === 'unclaimed' && item.userTaskKey ? (
                    <Button
                      type="primary"
                      size="small"
                      data-testid={`inbox-claim-${item.userTaskKey}`}
                      loading={claiming === item.userTaskKey}
                      onClick={(e) => {
                        e.stopPropagation();
                        void claim(item);
                      }}
                    >
                      {t('claim')}
                    </Button>
                  ) : (
                    <Button size="small" type="link">
                      {tab === 'todo' || tab === 'overdue' ? t('open') : t('view')}
                    </Button>
                  )}
                </Col>
              </Row>
            </Card>
          </List.Item>
        )}
      />
    </div>
  );
}
