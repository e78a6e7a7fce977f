import { Card, Empty, Segmented, Select, Skeleton, Space, Table, Typography } from 'antd';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router-dom';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import type { DailyItem } from './daily-chart.js';
import { type DiagramOverlay, escapeHtml, type FlowNode, MonitorDiagram } from './diagram.js';
import { formatDuration } from './shared.js';
import './texts.js';

interface ElementStats {
  elementId: string;
  active: number;
  completed: number;
  canceled: number;
  incidents: number;
  averageDurationMs: number | null;
  p90DurationMs: number | null;
}

interface Definition {
  processDefinitionKey: string;
  processDefinitionId: string;
  name: string | null;
  version: number;
}

const DAYS = [7, 30, 90] as const;

// echarts is a chunk of its own: the diagram does not wait for it.
const DailyChart = lazy(() => import('./daily-chart.js').then((m) => ({ default: m.DailyChart })));

/** YYYY-MM-DD of a date in the browser's time zone. */
const localDate = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

function DefinitionPicker({ value }: { value?: string }) {
  const { t } = useTranslation('monitor');
  const { tenantId } = useSession();
  const navigate = useNavigate();
  const [definitions, setDefinitions] = useState<Definition[]>([]);
  useEffect(() => {
    if (!tenantId) return;
    api
      .post('/v2/process-definitions/search', { page: { limit: 1000 } })
      .then((res) =>
        setDefinitions(
          [...(res.items ?? [])].sort(
            (a: Definition, b: Definition) =>
              a.processDefinitionId.localeCompare(b.processDefinitionId) || b.version - a.version,
          ),
        ),
      )
      .catch(() => setDefinitions([]));
  }, [tenantId]);
  return (
    <Select
      showSearch
      optionFilterProp="label"
      data-testid="monitor-heatmap-process"
      placeholder={t('pickProcess')}
      style={{ minWidth: 320 }}
      value={value}
      onChange={(key) => navigate(`/monitor/processes/${key}`)}
      options={definitions.map((d) => ({
        value: d.processDefinitionKey,
        label: `${d.name || d.processDefinitionId} (${d.processDefinitionId}) v${d.version}`,
      }))}
    />
  );
}

/** A process's element statistics on its diagram, and instances started / completed per day. */
export default function Heatmap() {
  const { definitionKey } = useParams();
  const { t } = useTranslation('monitor');
  const [xml, setXml] = useState<string | null>(null);
  const [stats, setStats] = useState<ElementStats[] | null>(null);
  const [daily, setDaily] = useState<DailyItem[] | null>(null);
  const [days, setDays] = useState<(typeof DAYS)[number]>(30);
  const [error, setError] = useState<unknown>();
  const [nodes, setNodes] = useState<FlowNode[]>([]);

  useEffect(() => {
    if (!definitionKey) return;
    setXml(null);
    setStats(null);
    setError(undefined);
    Promise.all([
      api.get<string>(`/v2/process-definitions/${definitionKey}/xml`, { text: true }),
      api.post(`/v2/process-definitions/${definitionKey}/statistics/element-instances`, {}),
    ])
      .then(([x, s]) => {
        setXml(x);
        setStats(s.items ?? []);
      })
      .catch((err) => {
        setError(err);
        setStats([]);
      });
  }, [definitionKey]);

  useEffect(() => {
    if (!definitionKey) return;
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86_400_000);
    setDaily(null);
    api
      .post(`/v2/process-definitions/${definitionKey}/statistics/daily`, {
        from: localDate(from),
        to: localDate(to),
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      })
      .then((res) => setDaily(res.items ?? []))
      .catch((err) => {
        setError(err);
        setDaily([]);
      });
  }, [definitionKey, days]);

  const overlays = useMemo<DiagramOverlay[]>(() => {
    if (!stats) return [];
    const count = (s: ElementStats) => s.active + s.completed + s.canceled;
    const max = Math.max(1, ...stats.map(count));
    return stats.flatMap((s) => {
      const n = count(s);
      if (n === 0) return [];
      const alpha = (0.1 + 0.5 * (n / max)).toFixed(2);
      const lines = [
        `<b>${n}</b>`,
        s.averageDurationMs !== null ? `⌀ ${escapeHtml(formatDuration(s.averageDurationMs, t))}` : null,
        s.p90DurationMs !== null ? `P90 ${escapeHtml(formatDuration(s.p90DurationMs, t))}` : null,
        s.incidents ? `<span style="color:#ff4d4f">! ${s.incidents}</span>` : null,
      ].filter(Boolean);
      return [
        { elementId: s.elementId, position: { top: 0, left: 0 }, cover: `rgba(255, 85, 0, ${alpha})` },
        {
          elementId: s.elementId,
          below: true,
          html: `<div class="lf-heat-label" data-testid="monitor-heat-${escapeHtml(s.elementId)}" data-count="${n}">${lines.join('<br/>')}</div>`,
        },
      ];
    });
  }, [stats, t]);

  const names = useMemo(() => new Map(nodes.map((n) => [n.id, n.name])), [nodes]);

  return (
    <div data-testid="monitor-heatmap" data-definition={definitionKey}>
      <Space style={{ marginBottom: 12 }} wrap>
        <DefinitionPicker value={definitionKey} />
      </Space>
      {!definitionKey ? (
        <Empty description={t('pickProcess')} />
      ) : (
        <>
          {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
          <Card size="small" title={t('heatmap')} style={{ marginBottom: 12 }}>
            {xml && stats ? (
              <MonitorDiagram
                xml={xml}
                overlays={overlays}
                onNodes={setNodes}
                testId="monitor-heatmap-diagram"
                height={400}
              />
            ) : stats ? (
              <Empty />
            ) : (
              <Skeleton active />
            )}
            {stats && stats.length > 0 ? (
              <Table<ElementStats>
                size="small"
                rowKey="elementId"
                style={{ marginTop: 12 }}
                pagination={false}
                dataSource={stats}
                columns={[
                  {
                    key: 'element',
                    title: t('columns.element'),
                    render: (_, s) =>
                      names.get(s.elementId) ? `${names.get(s.elementId)} (${s.elementId})` : s.elementId,
                  },
                  {
                    key: 'active',
                    title: t('states.ACTIVE'),
                    dataIndex: 'active',
                    sorter: (a, b) => a.active - b.active,
                  },
                  {
                    key: 'completed',
                    title: t('states.COMPLETED'),
                    dataIndex: 'completed',
                    sorter: (a, b) => a.completed - b.completed,
                  },
                  { key: 'canceled', title: t('states.CANCELED'), dataIndex: 'canceled' },
                  { key: 'incidents', title: t('sections.incidents'), dataIndex: 'incidents' },
                  {
                    key: 'avg',
                    title: t('columns.avg'),
                    render: (_, s) => formatDuration(s.averageDurationMs, t),
                    sorter: (a, b) => (a.averageDurationMs ?? -1) - (b.averageDurationMs ?? -1),
                  },
                  {
                    key: 'p90',
                    title: t('columns.p90'),
                    render: (_, s) => formatDuration(s.p90DurationMs, t),
                    sorter: (a, b) => (a.p90DurationMs ?? -1) - (b.p90DurationMs ?? -1),
                  },
                ]}
              />
            ) : null}
          </Card>
          <Card
            size="small"
            title={t('daily.title')}
            extra={
              <Segmented
                size="small"
                value={days}
                onChange={(v) => setDays(v as (typeof DAYS)[number])}
                options={DAYS.map((d) => ({ value: d, label: `${d}d` }))}
              />
            }
          >
            {daily ? (
              <Suspense fallback={<Skeleton active />}>
                <DailyChart
                  items={daily}
                  labels={{ started: t('daily.started'), completed: t('daily.completed') }}
                />
              </Suspense>
            ) : (
              <Skeleton active />
            )}
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {Intl.DateTimeFormat().resolvedOptions().timeZone}
            </Typography.Text>
          </Card>
        </>
      )}
    </div>
  );
}
