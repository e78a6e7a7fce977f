import { DownloadOutlined } from '@ant-design/icons';
import { Button, Card, Col, DatePicker, Empty, Row as GridRow, Skeleton, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { type Column, DashboardChart, type Row } from './chart.js';
import './texts.js';

interface Dashboard {
  dashboardId: string;
  moduleId: string;
  name: { 'zh-CN': string; en: string };
  chart: string;
}
interface Data {
  columns: Column[];
  rows: Row[];
}

const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Shanghai';

/** One dashboard: its chart and its data as CSV or Excel (links the browser downloads with the session). */
function DashboardCard(props: { dashboard: Dashboard; query: string; lang: string }) {
  const { t } = useTranslation('dashboards');
  const { dashboardId: id } = props.dashboard;
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setData(null);
    api.get<Data>(`/v2/dashboards/${id}/data?${props.query}`).then(setData, setError);
  }, [id, props.query]);
  const file = (format: string) =>
    `/v2/dashboards/${id}/data?${props.query}&format=${format}&lang=${props.lang}`;
  return (
    <Card
      size="small"
      title={props.lang === 'en' ? props.dashboard.name.en : props.dashboard.name['zh-CN']}
      data-testid={`dashboard-${id}`}
      extra={
        <Space size={4}>
          <Button
            size="small"
            icon={<DownloadOutlined />}
            href={file('csv')}
            data-testid={`dashboard-csv-${id}`}
          >
            {t('csv')}
          </Button>
          <Button
            size="small"
            icon={<DownloadOutlined />}
            href={file('xlsx')}
            data-testid={`dashboard-xlsx-${id}`}
          >
            {t('excel')}
          </Button>
        </Space>
      }
    >
      {error ? <ProblemAlert error={error} /> : null}
      {!data && !error ? <Skeleton active /> : null}
      {data && data.rows.length === 0 ? <Empty description={t('noData')} /> : null}
      {data && data.rows.length > 0 ? (
        <DashboardChart
          id={id}
          chart={props.dashboard.chart}
          columns={data.columns}
          rows={data.rows}
          lang={props.lang}
        />
      ) : null}
    </Card>
  );
}

/** The dashboards of the enabled modules over a range kept in the address. */
export default function Dashboards() {
  const { t, i18n } = useTranslation('dashboards');
  const { tenantId } = useSession();
  const [params, setParams] = useSearchParams();
  const [items, setItems] = useState<Dashboard[] | null>(null);
  const [error, setError] = useState<unknown>();
  const fromText = params.get('from') ?? dayjs().subtract(6, 'month').startOf('month').format('YYYY-MM-DD');
  const toText = params.get('to') ?? dayjs().format('YYYY-MM-DD');
  const from = dayjs(fromText);
  const to = dayjs(toText);
  const query = useMemo(() => {
    const q = new URLSearchParams({
      from: dayjs(fromText).startOf('day').toISOString(),
      to: dayjs(toText).endOf('day').toISOString(),
      timeZone: TIME_ZONE,
    });
    if (tenantId) q.set('tenantId', tenantId);
    return q.toString();
  }, [fromText, toText, tenantId]);

  useEffect(() => {
    if (!tenantId) return;
    api
      .get<{ items: Dashboard[] }>(`/v2/dashboards?tenantId=${encodeURIComponent(tenantId)}`)
      .then((r) => setItems(r.items), setError);
  }, [tenantId]);

  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="dashboards">
      <Card
        title={t('title')}
        extra={
          <DatePicker.RangePicker
            data-testid="dashboards-range"
            value={[from, to]}
            allowClear={false}
            onChange={(v) => {
              const [a, b] = (v ?? []) as [Dayjs | null, Dayjs | null];
              if (a && b) setParams({ from: a.format('YYYY-MM-DD'), to: b.format('YYYY-MM-DD') });
            }}
          />
        }
      >
        <Typography.Text type="secondary">{t('intro')}</Typography.Text>
      </Card>
      {error ? <ProblemAlert error={error} /> : null}
      {items === null && !error ? <Skeleton active /> : null}
      {items?.length === 0 ? <Empty description={t('empty')} /> : null}
      <GridRow gutter={[12, 12]}>
        {(items ?? []).map((d) => (
          <Col key={d.dashboardId} xs={24} xl={12}>
            <DashboardCard dashboard={d} query={query} lang={i18n.language} />
          </Col>
        ))}
      </GridRow>
    </Space>
  );
}
