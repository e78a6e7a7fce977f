import { Card, Descriptions, Select, Skeleton, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Route, Routes, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../app/api.js';
import { useList } from '../app/lists.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import './texts.js';

interface Asset {
  assetKey: string;
  code: string;
  name: string;
  project: string;
  building: string | null;
  system: string | null;
  equipment: string | null;
  bimGuid: string | null;
}
interface InstanceItem {
  processInstanceKey: string;
  processDefinitionId: string;
  processDefinitionName: string | null;
  state: string;
  businessKey: string | null;
  startDate: string;
  description?: string | null;
  severity?: string | null;
}
interface Overview {
  asset: Asset;
  instances: InstanceItem[];
  openProblems: InstanceItem[];
  handoverDocuments: Array<{
    documentId: string;
    fileName: string;
    uploadedBy: string;
    createdAt: string;
    processInstanceKey: string;
  }>;
  kpis: Array<{ processInstanceKey: string; endDate: string; result: Record<string, any> }>;
}

const date = (iso: string, lang: string) =>
  new Date(iso).toLocaleDateString(lang === 'en' ? 'en-GB' : 'zh-CN');

/** The assets of the tenant, filtered by project (kept in the address). */
function AssetList() {
  const { t } = useTranslation('assets');
  const [params, setParams] = useSearchParams();
  const project = params.get('project') ?? undefined;
  const load = useCallback(
    async () => (await api.post<{ items: Asset[] }>('/v2/assets/search', { page: { limit: 1000 } })).items,
    [],
  );
  const { items, error } = useList(load);
  const projects = [...new Set((items ?? []).map((a) => a.project))].sort();
  const shown = (items ?? []).filter((a) => !project || a.project === project);
  return (
    <Card
      title={t('title')}
      data-testid="assets"
      extra={
        <Select
          allowClear
          style={{ minWidth: 160 }}
          placeholder={t('all')}
          value={project}
          data-testid="assets-project"
          options={projects.map((p) => ({ value: p, label: p }))}
          onChange={(p) => setParams(p ? { project: p } : {})}
        />
      }
    >
      <Typography.Paragraph type="secondary">{t('intro')}</Typography.Paragraph>
      {error ? <ProblemAlert error={error} /> : null}
      <Table<Asset>
        rowKey="assetKey"
        size="small"
        loading={items === null}
        dataSource={shown}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: t('empty') }}
        onRow={(row) => ({ 'data-testid': `asset-row-${row.code}` }) as any}
        scroll={{ x: true }}
        columns={[
          {
            key: 'code',
            title: t('columns.code'),
            render: (_, a) => (
              <Link to={`/ledger/${a.assetKey}`} data-testid="asset-open">
                {a.code}
              </Link>
            ),
          },
          { key: 'name', title: t('columns.name'), dataIndex: 'name' },
          { key: 'project', title: t('columns.project'), dataIndex: 'project' },
          { key: 'building', title: t('columns.building'), dataIndex: 'building' },
          { key: 'system', title: t('columns.system'), dataIndex: 'system' },
        ]}
      />
    </Card>
  );
}

/** One asset's whole story. */
function AssetPage() {
  const { key = '' } = useParams();
  const { t, i18n } = useTranslation('assets');
  const { can } = useSession();
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api.get<Overview>(`/v2/assets/${key}/overview`).then(setData, setError);
  }, [key]);
  if (error) return <ProblemAlert error={error} />;
  if (!data) return <Skeleton active />;
  const lang = i18n.language;
  const a = data.asset;
  // The monitor's instance page for those who may open it; the number for everyone else.
  const instanceLink = (i: { processInstanceKey: string; businessKey?: string | null }) =>
    can('monitor') ? (
      <Link to={`/monitor/instances/${i.processInstanceKey}`}>{i.businessKey ?? i.processInstanceKey}</Link>
    ) : (
      (i.businessKey ?? i.processInstanceKey)
    );
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="asset-page" data-code={a.code}>
      <Link to="/ledger">← {t('back')}</Link>
      <Card title={`${a.name} · ${a.code}`}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('columns.project')}>{a.project}</Descriptions.Item>
          <Descriptions.Item label={t('columns.building')}>{a.building ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('columns.system')}>{a.system ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('columns.equipment')}>{a.equipment ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('columns.bimGuid')}>{a.bimGuid ?? '—'}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card
        size="small"
        title={`${t('openProblems')} (${data.openProblems.length})`}
        data-testid="asset-open-problems"
      >
        <Table
          size="small"
          rowKey="processInstanceKey"
          pagination={false}
          dataSource={data.openProblems}
          locale={{ emptyText: t('none') }}
          columns={[
            { key: 'key', title: '#', render: (_, i) => instanceLink(i) },
            { key: 'description', title: t('description'), dataIndex: 'description' },
            {
              key: 'severity',
              title: '',
              render: (_, i) =>
                i.severity ? (
                  <Tag
                    color={i.severity === 'critical' ? 'red' : i.severity === 'major' ? 'orange' : 'default'}
                  >
                    {t(`severity.${i.severity}`, { defaultValue: i.severity })}
                  </Tag>
                ) : null,
            },
            { key: 'started', title: t('started'), render: (_, i) => date(i.startDate, lang) },
          ]}
        />
      </Card>
      <Card size="small" title={`${t('instances')} (${data.instances.length})`} data-testid="asset-instances">
        <Table
          size="small"
          rowKey="processInstanceKey"
          dataSource={data.instances}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          locale={{ emptyText: t('none') }}
          onRow={(row) => ({ 'data-testid': `asset-instance-${row.processInstanceKey}` }) as any}
          columns={[
            { key: 'key', title: '#', render: (_, i) => instanceLink(i) },
            {
              key: 'process',
              title: t('process'),
              render: (_, i) => i.processDefinitionName ?? i.processDefinitionId,
            },
            {
              key: 'state',
              title: t('state'),
              render: (_, i) => t(`states.${i.state}`, { defaultValue: i.state }),
            },
            { key: 'started', title: t('started'), render: (_, i) => date(i.startDate, lang) },
          ]}
        />
      </Card>
      <Card
        size="small"
        title={`${t('documents')} (${data.handoverDocuments.length})`}
        data-testid="asset-documents"
      >
        <Table
          size="small"
          rowKey="documentId"
          pagination={false}
          dataSource={data.handoverDocuments}
          locale={{ emptyText: t('none') }}
          columns={[
            {
              key: 'file',
              title: t('file'),
              render: (_, d) => (
                <a href={`/v2/documents/${d.documentId}`} target="_blank" rel="noreferrer">
                  {d.fileName}
                </a>
              ),
            },
            { key: 'by', title: t('uploadedBy'), dataIndex: 'uploadedBy' },
            { key: 'at', title: t('started'), render: (_, d) => date(d.createdAt, lang) },
          ]}
        />
      </Card>
      <Card size="small" title={`${t('kpis')} (${data.kpis.length})`} data-testid="asset-kpis">
        <Table
          size="small"
          rowKey="processInstanceKey"
          pagination={false}
          dataSource={data.kpis}
          locale={{ emptyText: t('none') }}
          columns={[
            {
              key: 'period',
              title: t('period'),
              render: (_, k) => String(k.result.periodStart ?? '').slice(0, 7),
            },
            { key: 'availability', title: t('availability'), render: (_, k) => k.result.availability ?? '—' },
            { key: 'mttr', title: t('mttr'), render: (_, k) => k.result.mttrHours ?? '—' },
            {
              key: 'below',
              title: t('below'),
              render: (_, k) =>
                Array.isArray(k.result.below) && k.result.below.length
                  ? k.result.below.map((b: string) => (
                      <Tag key={b} color="red">
                        {b}
                      </Tag>
                    ))
                  : '—',
            },
          ]}
        />
      </Card>
    </Space>
  );
}

/** Assets: the list, and each asset's page. */
export default function Assets() {
  return (
    <Routes>
      <Route index element={<AssetList />} />
      <Route path=":key" element={<AssetPage />} />
    </Routes>
  );
}
