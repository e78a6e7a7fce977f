import { CloudUploadOutlined } from '@ant-design/icons';
import { App, Button, Card, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api } from '../app/api.js';
import { OpenFileButton, saveTextFile } from '../app/files.js';
import { useList } from '../app/lists.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { localized, type ModuleSummary, withTenant } from './shared.js';
import { UpgradeDialog } from './upgrade-dialog.js';

/** Downloads a module version as its file. */
export async function exportModule(moduleId: string, version: string) {
  const file = await api.get(`/v2/modules/${moduleId}/versions/${version}/file`);
  saveTextFile(
    `${moduleId}-${version}.lfmodule.json`,
    `${JSON.stringify(file, null, 2)}\n`,
    'application/json',
  );
}

/** The modules of the group standard, with what the tenant runs of each. */
export function ModuleList() {
  const { t, i18n } = useTranslation('modules');
  const { message } = App.useApp();
  const { tenantId, me } = useSession();
  const load = useCallback(
    async () => (await api.post<{ items: ModuleSummary[] }>('/v2/modules/search', { tenantId })).items,
    [tenantId],
  );
  const { items, error, setError, reload } = useList(load);
  const [upgrading, setUpgrading] = useState<{ moduleId: string; version: string }>();
  const [busy, setBusy] = useState<string>();
  const isAdmin = !!me?.roles.includes('admin');

  const act = async (name: string, run: () => Promise<void>) => {
    setBusy(name);
    setError(undefined);
    try {
      await run();
      await reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  const importFile = (file: File) =>
    act('import', async () => {
      let body: unknown;
      try {
        body = JSON.parse(await file.text());
      } catch {
        body = null; // the server names the problem
      }
      const res = await api.post<{ moduleId: string; version: string; created: boolean }>(
        '/v2/modules',
        body,
      );
      message.success(
        t(res.created ? 'imported' : 'importedAgain', { id: res.moduleId, version: res.version }),
      );
    });

  const lang = i18n.language;
  return (
    <Card
      title={t('title')}
      data-testid="modules"
      extra={
        isAdmin ? (
          <OpenFileButton
            accept=".json,application/json"
            testId="module-import-file"
            buttonTestId="module-import"
            icon={<CloudUploadOutlined />}
            onFile={(f) => void importFile(f)}
          >
            {t('import')}
          </OpenFileButton>
        ) : null
      }
    >
      <Typography.Paragraph type="secondary">{t('intro')}</Typography.Paragraph>
      {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
      <Table<ModuleSummary>
        rowKey="moduleId"
        loading={items === null}
        dataSource={items ?? []}
        pagination={false}
        locale={{ emptyText: t('empty') }}
        onRow={(row) => ({ 'data-testid': `module-row-${row.moduleId}` }) as any}
        columns={[
          {
            key: 'name',
            title: t('columns.name'),
            render: (_, row) => (
              <Space orientation="vertical" size={0}>
                <Link to={`/modules/${row.moduleId}`} data-testid="module-open">
                  {localized(row.name, lang)}
                </Link>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {localized(row.description, lang)}
                </Typography.Text>
              </Space>
            ),
          },
          { key: 'latest', title: t('columns.latest'), dataIndex: 'latestVersion' },
          {
            key: 'enabled',
            title: t('columns.enabled'),
            render: (_, row) => (
              <Space
                data-testid="module-state"
                data-version={row.enabledVersion ?? ''}
                data-enabled={row.enabled}
              >
                {row.enabledVersion ? (
                  <Tag color={row.enabled ? 'green' : 'default'}>
                    {row.enabledVersion}
                    {row.enabled ? '' : ` · ${t('disabled')}`}
                  </Tag>
                ) : (
                  <Tag>{t('notEnabled')}</Tag>
                )}
                {row.enabled && row.upgradeAvailable ? (
                  <Tag color="orange">{t('upgradeAvailable')}</Tag>
                ) : null}
              </Space>
            ),
          },
          { key: 'overrides', title: t('columns.overrides'), render: (_, row) => row.overrides || '—' },
          {
            key: 'actions',
            title: t('columns.actions'),
            render: (_, row) => (
              <Space wrap>
                {!row.enabled ? (
                  <Button
                    size="small"
                    type="primary"
                    loading={busy === `enable-${row.moduleId}`}
                    data-testid="module-enable"
                    onClick={() =>
                      void act(`enable-${row.moduleId}`, async () => {
                        const res = await api.post<{ version: string; deployments: unknown[] }>(
                          `/v2/modules/${row.moduleId}/enablement`,
                          { tenantId, version: row.enabledVersion ?? undefined },
                        );
                        message.success(
                          t('enabledDone', { version: res.version, count: res.deployments.length }),
                        );
                      })
                    }
                  >
                    {t('enable')}
                  </Button>
                ) : null}
                {row.enabled && row.upgradeAvailable ? (
                  <Button
                    size="small"
                    data-testid="module-upgrade"
                    onClick={() => setUpgrading({ moduleId: row.moduleId, version: row.latestVersion })}
                  >
                    {t('upgrade')}
                  </Button>
                ) : null}
                <Button
                  size="small"
                  data-testid="module-export"
                  onClick={() =>
                    void act('export', () =>
                      exportModule(row.moduleId, row.enabledVersion ?? row.latestVersion),
                    )
                  }
                >
                  {t('export')}
                </Button>
                {row.enabled ? (
                  <Popconfirm
                    title={t('disableConfirm')}
                    onConfirm={() =>
                      act(`disable-${row.moduleId}`, async () => {
                        await api.delete(`/v2/modules/${row.moduleId}/enablement${withTenant(tenantId)}`);
                        message.success(t('disabledDone'));
                      })
                    }
                    okButtonProps={{ 'data-testid': 'module-disable-confirm' } as any}
                  >
                    <Button size="small" danger data-testid="module-disable">
                      {t('disable')}
                    </Button>
                  </Popconfirm>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      {upgrading ? (
        <UpgradeDialog
          moduleId={upgrading.moduleId}
          version={upgrading.version}
          tenantId={tenantId}
          onClose={() => setUpgrading(undefined)}
          onDone={() => {
            setUpgrading(undefined);
            void reload();
          }}
        />
      ) : null}
    </Card>
  );
}
