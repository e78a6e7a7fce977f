import {
  DiffOutlined,
  DownloadOutlined,
  EditOutlined,
  ImportOutlined,
  PlusOutlined,
  ReloadOutlined,
} from '@ant-design/icons';
import {
  Alert,
  Badge,
  Button,
  Card,
  Empty,
  Input,
  Space,
  Table,
  type TableColumnsType,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type HTMLAttributes, type Key, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { OpenFileButton, saveTextFile } from '../app/files.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import {
  bpmnFileName,
  groupVersions,
  loadVersions,
  loadXml,
  type ProcessGroup,
  type VersionStats,
} from './data.js';
import { formatDateTime } from './texts.js';

const testId = (id: string) => ({ 'data-testid': id }) as HTMLAttributes<HTMLElement>;

/** What an imported file is: a process for the modeler, a form for the form editor, or an error. */
type Imported =
  | { kind: 'process'; xml: string; fileName: string }
  | { kind: 'form'; schema: Record<string, unknown>; fileName: string }
  | { kind: 'error'; key: string; reason?: string };

export function classifyImport(fileName: string, text: string): Imported {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.bpmn') || lower.endsWith('.xml')) {
    if (!/<([\w.-]+:)?definitions[\s>/]/.test(text)) return { kind: 'error', key: 'importError.notBpmn' };
    return { kind: 'process', xml: text, fileName };
  }
  if (lower.endsWith('.form')) {
    let schema: unknown;
    try {
      schema = JSON.parse(text);
    } catch (err) {
      return { kind: 'error', key: 'importError.notJson', reason: (err as Error).message };
    }
    if (!schema || typeof schema !== 'object' || Array.isArray(schema))
      return { kind: 'error', key: 'importError.notSchema' };
    return { kind: 'form', schema: schema as Record<string, unknown>, fileName };
  }
  return { kind: 'error', key: 'importError.type' };
}

function Incidents({ n }: { n: number }) {
  return n > 0 ? (
    <Typography.Text type="danger" strong data-testid="incidents">
      {n}
    </Typography.Text>
  ) : (
    <span data-testid="incidents">0</span>
  );
}

function VersionTable({ group, onExport }: { group: ProcessGroup; onExport: (v: VersionStats) => void }) {
  const { t, i18n } = useTranslation('processes');
  const navigate = useNavigate();
  const columns: TableColumnsType<VersionStats> = [
    {
      title: t('shell:common.version'),
      dataIndex: 'version',
      width: 110,
      render: (_, v) => (
        <Space size={4}>
          <span data-testid="version">v{v.version}</span>
          {v.versionTag && <Tag>{v.versionTag}</Tag>}
          {v === group.latest && <Tag color="blue">{t('latest')}</Tag>}
        </Space>
      ),
    },
    {
      title: t('column.deploymentKey'),
      dataIndex: 'deploymentKey',
      render: (k: string) => <Typography.Text code>{k}</Typography.Text>,
    },
    {
      title: t('column.deployedAt'),
      dataIndex: 'deployedAt',
      render: (d: string | null) => <span data-testid="deployed-at">{formatDateTime(d, i18n.language)}</span>,
    },
    {
      title: t('column.deployedBy'),
      dataIndex: 'deployedBy',
      render: (u: string | null) => <span data-testid="deployed-by">{u ?? ''}</span>,
    },
    {
      title: t('column.active'),
      align: 'right',
      render: (_, v) => <span data-testid="active">{v.instances.active}</span>,
    },
    {
      title: t('column.completed'),
      align: 'right',
      render: (_, v) => <span data-testid="completed">{v.instances.completed}</span>,
    },
    {
      title: t('column.canceled'),
      align: 'right',
      render: (_, v) => <span data-testid="canceled">{v.instances.canceled}</span>,
    },
    {
      title: t('column.incidents'),
      align: 'right',
      render: (_, v) => <Incidents n={v.instances.incidents} />,
    },
    {
      title: t('shell:common.actions'),
      render: (_, v) => {
        const index = group.versions.indexOf(v);
        const previous = group.versions[index + 1];
        return (
          <Space size={0} wrap>
            <Tooltip title={t('open')}>
              <Button
                type="link"
                size="small"
                icon={<EditOutlined />}
                data-testid="open"
                onClick={() => navigate(`/processes/${encodeURIComponent(v.processDefinitionKey)}`)}
              >
                {t('shell:common.open')}
              </Button>
            </Tooltip>
            <Button
              type="link"
              size="small"
              icon={<DownloadOutlined />}
              data-testid="export"
              onClick={() => onExport(v)}
            >
              {t('exportBpmn')}
            </Button>
            {previous && (
              <Button
                type="link"
                size="small"
                icon={<DiffOutlined />}
                data-testid="compare"
                onClick={() =>
                  navigate(
                    `/processes/diff?a=${encodeURIComponent(previous.processDefinitionKey)}&b=${encodeURIComponent(v.processDefinitionKey)}`,
                  )
                }
              >
                {t('compare')}
              </Button>
            )}
          </Space>
        );
      },
    },
  ];
  return (
    <div data-testid={`versions-${group.processDefinitionId}`}>
      <Typography.Text type="secondary">{t('history')}</Typography.Text>
      <Table<VersionStats>
        size="small"
        rowKey="processDefinitionKey"
        columns={columns}
        dataSource={group.versions}
        pagination={group.versions.length > 10 ? { pageSize: 10, size: 'small' } : false}
        onRow={(v) => testId(`version-row-${v.processDefinitionKey}`)}
        scroll={{ x: 'max-content' }}
      />
    </div>
  );
}

/** The process list of the current tenant: latest versions, deploy history, import and export. */
export default function Processes() {
  const { t, i18n } = useTranslation('processes');
  const { tenantId } = useSession();
  const navigate = useNavigate();
  const [versions, setVersions] = useState<VersionStats[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [query, setQuery] = useState('');
  const [importError, setImportError] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<readonly Key[]>([]);
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      const all = await loadVersions(tenantId);
      if (mine === generation.current) setVersions(all);
    } catch (err) {
      if (mine === generation.current) setError(err);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [tenantId]);

  useEffect(() => {
    setVersions(null);
    setExpanded([]);
    void reload();
  }, [reload]);

  const groups = useMemo(() => groupVersions(versions ?? []), [versions]);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!q) return groups;
    return groups.filter(
      (g) =>
        g.processDefinitionId.toLowerCase().includes(q) ||
        g.versions.some((v) => (v.name ?? '').toLowerCase().includes(q)),
    );
  }, [groups, query]);

  const onExport = useCallback(async (v: VersionStats) => {
    setError(null);
    try {
      const xml = await loadXml(v.processDefinitionKey);
      saveTextFile(bpmnFileName(v), xml, 'application/xml');
    } catch (err) {
      setError(err);
    }
  }, []);

  const onFile = async (file: File) => {
    setImportError(null);
    let text: string;
    try {
      text = await file.text();
    } catch (err) {
      setImportError(t('importError.read', { name: file.name, reason: (err as Error).message }));
      return;
    }
    const result = classifyImport(file.name, text);
    if (result.kind === 'process')
      navigate('/processes/new', { state: { xml: result.xml, fileName: result.fileName } });
    else if (result.kind === 'form')
      navigate('/forms/new', { state: { schema: result.schema, fileName: result.fileName } });
    else setImportError(t(result.key, { name: file.name, reason: result.reason ?? '' }));
  };

  const columns: TableColumnsType<ProcessGroup> = [
    {
      title: t('column.name'),
      key: 'name',
      render: (_, g) => (
        <Link to={`/processes/${encodeURIComponent(g.latest.processDefinitionKey)}`} data-testid="name">
          {g.latest.name || <Typography.Text type="secondary">{t('unnamed')}</Typography.Text>}
        </Link>
      ),
      sorter: (a, b) => (a.latest.name ?? '').localeCompare(b.latest.name ?? '', 'zh-CN'),
    },
    {
      title: t('column.id'),
      key: 'id',
      render: (_, g) => (
        <Typography.Text code data-testid="process-id">
          {g.processDefinitionId}
        </Typography.Text>
      ),
      sorter: (a, b) => a.processDefinitionId.localeCompare(b.processDefinitionId),
    },
    {
      title: t('column.version'),
      key: 'version',
      align: 'right',
      render: (_, g) => <span data-testid="version">v{g.latest.version}</span>,
    },
    {
      title: t('column.deployedAt'),
      key: 'deployedAt',
      render: (_, g) => (
        <span data-testid="deployed-at">{formatDateTime(g.latest.deployedAt, i18n.language)}</span>
      ),
      sorter: (a, b) => (a.latest.deployedAt ?? '').localeCompare(b.latest.deployedAt ?? ''),
      defaultSortOrder: undefined,
    },
    {
      title: t('column.deployedBy'),
      key: 'deployedBy',
      render: (_, g) => <span data-testid="deployed-by">{g.latest.deployedBy ?? ''}</span>,
    },
    {
      title: t('column.running'),
      key: 'running',
      align: 'right',
      render: (_, g) => (
        <Space size={6}>
          <span data-testid="running">{g.running}</span>
          {g.incidents > 0 && (
            <Tooltip title={t('column.incidents')}>
              <Badge count={g.incidents} data-testid="row-incidents" />
            </Tooltip>
          )}
        </Space>
      ),
      sorter: (a, b) => a.running - b.running,
    },
  ];

  const noProcesses = versions !== null && groups.length === 0 && !error;

  return (
    <Card
      data-testid="processes"
      title={t('title')}
      extra={
        <Space wrap>
          <Input.Search
            allowClear
            placeholder={t('searchPlaceholder')}
            aria-label={t('shell:common.search')}
            data-testid="processes-search"
            style={{ width: 240 }}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <Button
            icon={<ReloadOutlined />}
            loading={loading}
            data-testid="processes-refresh"
            onClick={() => void reload()}
          >
            {t('shell:common.refresh')}
          </Button>
          <Tooltip title={t('importHint')}>
            <span>
              <OpenFileButton
                accept=".bpmn,.xml,.form"
                testId="processes-import"
                buttonTestId="processes-import-button"
                icon={<ImportOutlined />}
                onFile={(file) => void onFile(file)}
              >
                {t('import')}
              </OpenFileButton>
            </span>
          </Tooltip>
          <Button
            type="primary"
            icon={<PlusOutlined />}
            data-testid="processes-new"
            onClick={() => navigate('/processes/new')}
          >
            {t('new')}
          </Button>
        </Space>
      }
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        {importError && (
          <Alert
            type="error"
            showIcon
            closable
            data-testid="processes-import-error"
            title={importError}
            onClose={() => setImportError(null)}
          />
        )}
        <ProblemAlert error={error} onClose={() => setError(null)} />
        {noProcesses ? (
          <Empty data-testid="processes-empty" description={t('empty')}>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/processes/new')}>
              {t('new')}
            </Button>
          </Empty>
        ) : (
          <Table<ProcessGroup>
            rowKey="processDefinitionId"
            loading={loading && versions === null}
            columns={columns}
            dataSource={shown}
            pagination={shown.length > 20 ? { pageSize: 20 } : false}
            onRow={(g) => testId(`process-row-${g.processDefinitionId}`)}
            expandable={{
              expandedRowKeys: expanded,
              onExpandedRowsChange: (keys) => setExpanded(keys),
              expandedRowRender: (g) => <VersionTable group={g} onExport={(v) => void onExport(v)} />,
            }}
            locale={query.trim() ? { emptyText: t('noMatch', { query: query.trim() }) } : undefined}
            scroll={{ x: 'max-content' }}
          />
        )}
      </Space>
    </Card>
  );
}
