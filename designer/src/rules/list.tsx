import { DownloadOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { api } from '../app/api.js';
import { OpenFileButton, saveTextFile } from '../app/files.js';
import { byResource, searchAll, useList } from '../app/lists.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';

export interface RuleSetVersion {
  ruleSetKey: string;
  ruleSetId: string;
  name: string | null;
  version: number;
  resourceName: string;
  tenantId: string;
  deploymentKey: string;
  deployedAt: string;
  deployedBy: string | null;
}

interface Group {
  ruleSetId: string;
  latest: RuleSetVersion;
  versions: RuleSetVersion[];
}

/** Saves a JSON document as a file (nothing leaves the browser). */
export function downloadJson(fileName: string, doc: unknown): void {
  saveTextFile(fileName, `${JSON.stringify(doc, null, 2)}\n`, 'application/json');
}

export async function exportVersion(v: { ruleSetKey: string; ruleSetId: string }): Promise<void> {
  const full = await api.get<{ content: unknown }>(`/v2/rule-sets/${v.ruleSetKey}`);
  downloadJson(`${v.ruleSetId}.json`, full.content);
}

/** The tenant's rule sets, one line per id with its versions; new, import, export. */
export function RuleSetList() {
  const { t, i18n } = useTranslation('rules');
  const { tenantId } = useSession();
  const navigate = useNavigate();
  const [importError, setImportError] = useState<string>();
  const load = useCallback(
    () =>
      searchAll<RuleSetVersion>('/v2/rule-sets/search', {
        filter: tenantId ? { tenantId } : {},
        sort: [
          { field: 'ruleSetId', order: 'ASC' },
          { field: 'version', order: 'DESC' },
        ],
      }),
    [tenantId],
  );
  const { items, error, setError } = useList(load);

  const groups = useMemo<Group[]>(
    () => byResource(items ?? [], (v) => v.ruleSetId).map(({ id, ...g }) => ({ ruleSetId: id, ...g })),
    [items],
  );

  const onImport = async (file: File | undefined) => {
    setImportError(undefined);
    if (!file) return;
    try {
      const doc = JSON.parse(await file.text());
      if (!doc || typeof doc !== 'object' || !Array.isArray(doc.rules))
        throw new Error(t('importNotRuleSet'));
      navigate('/rules/new', { state: { doc } });
    } catch (err) {
      setImportError(t('importFailed', { file: file.name, reason: (err as Error).message }));
    }
  };

  const when = (iso: string) => new Date(iso).toLocaleString(i18n.language);
  const exportButton = (v: RuleSetVersion) => (
    <Button
      size="small"
      icon={<DownloadOutlined />}
      data-testid={`rules-export-${v.ruleSetKey}`}
      onClick={() => void exportVersion(v).catch(setError)}
    >
      {t('exportJson')}
    </Button>
  );

  return (
    <div data-testid="rules">
      <Card
        title={t('title')}
        extra={
          <Space>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/rules/new')}>
              {t('new')}
            </Button>
            <OpenFileButton
              accept=".json,application/json"
              testId="rules-import"
              icon={<UploadOutlined />}
              onFile={(file) => void onImport(file)}
            >
              {t('import')}
            </OpenFileButton>
          </Space>
        }
      >
        <Space orientation="vertical" style={{ width: '100%' }}>
          <ProblemAlert error={error} onClose={() => setError(undefined)} />
          {importError && (
            <Alert
              type="error"
              showIcon
              closable
              title={importError}
              onClose={() => setImportError(undefined)}
            />
          )}
          <Table<Group>
            data-testid="rules-list"
            rowKey="ruleSetId"
            loading={items === null}
            dataSource={groups}
            pagination={false}
            locale={{ emptyText: t('empty') }}
            onRow={(g) => ({ 'data-testid': `rules-item-${g.ruleSetId}` }) as any}
            columns={[
              {
                title: t('list.id'),
                dataIndex: 'ruleSetId',
                render: (_: unknown, g) => <Link to={`/rules/${g.latest.ruleSetKey}`}>{g.ruleSetId}</Link>,
              },
              { title: t('list.name'), render: (_: unknown, g) => g.latest.name ?? '' },
              {
                title: t('list.latest'),
                render: (_: unknown, g) => <Tag color="blue">v{g.latest.version}</Tag>,
              },
              { title: t('list.deployedAt'), render: (_: unknown, g) => when(g.latest.deployedAt) },
              { title: t('list.deployedBy'), render: (_: unknown, g) => g.latest.deployedBy ?? '' },
              { title: t('col.actions', { ns: 'rules' }), render: (_: unknown, g) => exportButton(g.latest) },
            ]}
            expandable={{
              rowExpandable: (g) => g.versions.length > 1,
              expandedRowRender: (g) => (
                <Table<RuleSetVersion>
                  size="small"
                  rowKey="ruleSetKey"
                  pagination={false}
                  dataSource={g.versions}
                  columns={[
                    {
                      title: t('list.versions'),
                      render: (_: unknown, v) => <Link to={`/rules/${v.ruleSetKey}`}>v{v.version}</Link>,
                    },
                    { title: t('list.resourceName'), dataIndex: 'resourceName' },
                    { title: t('list.deployedAt'), render: (_: unknown, v) => when(v.deployedAt) },
                    { title: t('list.deployedBy'), render: (_: unknown, v) => v.deployedBy ?? '' },
                    { title: t('col.actions'), render: (_: unknown, v) => exportButton(v) },
                  ]}
                />
              ),
            }}
          />
          {groups.length > 0 && (
            <Typography.Text type="secondary">
              {t('list.summary', { sets: groups.length, versions: items?.length ?? 0 })}
            </Typography.Text>
          )}
        </Space>
      </Card>
    </div>
  );
}
