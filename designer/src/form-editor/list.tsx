import {
  DownloadOutlined,
  FormOutlined,
  PlusOutlined,
  ReloadOutlined,
  UploadOutlined,
} from '@ant-design/icons';
import { App, Button, Card, Empty, Space, Table, Typography } from 'antd';
import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { OpenFileButton } from '../app/files.js';
import { byResource, searchAll, useList } from '../app/lists.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { exportDeployedForm, type FormVersion, readFormFile } from './files.js';

interface FormGroup {
  formId: string;
  latest: FormVersion;
  versions: FormVersion[];
}

function formatTime(iso: string | null | undefined, lang: string): string {
  if (!iso) return '';
  return new Date(iso).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
}

/** /forms: the tenant's forms, one row per form id (latest version), older versions expandable. */
export function FormList() {
  const { t, i18n } = useTranslation('forms');
  const { tenantId } = useSession();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const load = useCallback(
    () =>
      searchAll<FormVersion>('/v2/forms/search', {
        filter: tenantId ? { tenantId } : {},
        sort: [{ field: 'version', order: 'DESC' }],
      }),
    [tenantId],
  );
  const { items, error, setError, reload } = useList(load);

  const groups = useMemo<FormGroup[]>(
    () => byResource(items ?? [], (f) => f.formId).map(({ id, ...g }) => ({ formId: id, ...g })),
    [items],
  );

  const exportForm = async (formKey: string) => {
    try {
      await exportDeployedForm(formKey);
    } catch (err) {
      setError(err);
    }
  };

  const onImport = async (file: File | undefined) => {
    if (!file) return;
    try {
      const schema = await readFormFile(file);
      navigate('/forms/new', { state: { schema, fileName: file.name } });
    } catch {
      message.error(t('list.badFile', { name: file.name }));
    }
  };

  const versionActions = (v: FormVersion, testId: string) => (
    <Space size="small">
      <Link to={`/forms/${v.formKey}`} data-testid={`form-open-${testId}`}>
        {t('list.open')}
      </Link>
      <Button
        type="link"
        size="small"
        icon={<DownloadOutlined />}
        data-testid={`form-export-${testId}`}
        onClick={() => void exportForm(v.formKey)}
      >
        {t('list.export')}
      </Button>
    </Space>
  );

  const lang = i18n.language;
  return (
    <Card
      data-testid="forms-list"
      title={
        <Space>
          <FormOutlined />
          {t('list.title')}
        </Space>
      }
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={() => void reload()} aria-label="refresh" />
          <OpenFileButton
            accept=".form,.json,application/json"
            testId="forms-import"
            icon={<UploadOutlined />}
            onFile={(file) => void onImport(file)}
          >
            {t('list.import')}
          </OpenFileButton>
          <Button
            type="primary"
            icon={<PlusOutlined />}
            data-testid="forms-new"
            onClick={() => navigate('/forms/new')}
          >
            {t('list.new')}
          </Button>
        </Space>
      }
    >
      <ProblemAlert error={error} onClose={() => setError(undefined)} />
      <Table<FormGroup>
        rowKey="formId"
        loading={items === null}
        dataSource={groups}
        pagination={groups.length > 20 ? { pageSize: 20 } : false}
        locale={{ emptyText: <Empty description={t('list.empty')} /> }}
        onRow={(g) => ({ 'data-testid': `form-row-${g.formId}` }) as any}
        expandable={{
          rowExpandable: (g) => g.versions.length > 0,
          expandedRowRender: (g) => (
            <Table<FormVersion>
              size="small"
              rowKey="formKey"
              data-testid={`form-versions-${g.formId}`}
              pagination={false}
              dataSource={g.versions}
              columns={[
                { title: t('shell:common.version'), dataIndex: 'version', render: (v) => `v${v}` },
                { title: t('list.deployedAt'), dataIndex: 'deployedAt', render: (v) => formatTime(v, lang) },
                { title: t('list.deployedBy'), dataIndex: 'deployedBy' },
                { title: t('list.resourceName'), dataIndex: 'resourceName' },
                {
                  title: t('shell:common.actions'),
                  key: 'actions',
                  render: (_, v) => versionActions(v, `${v.formId}-v${v.version}`),
                },
              ]}
            />
          ),
        }}
        columns={[
          {
            title: t('list.formId'),
            dataIndex: 'formId',
            render: (id: string, g) => (
              <Link to={`/forms/${g.latest.formKey}`}>
                <Typography.Text strong>{id}</Typography.Text>
              </Link>
            ),
          },
          {
            title: t('list.latest'),
            key: 'version',
            render: (_, g) => (
              <span data-testid={`form-latest-${g.formId}`}>
                v{g.latest.version}
                {g.versions.length > 1 ? (
                  <Typography.Text type="secondary">
                    {' '}
                    ({t('list.versionCount', { count: g.versions.length })})
                  </Typography.Text>
                ) : null}
              </span>
            ),
          },
          { title: t('list.deployedAt'), key: 'at', render: (_, g) => formatTime(g.latest.deployedAt, lang) },
          { title: t('list.deployedBy'), key: 'by', render: (_, g) => g.latest.deployedBy },
          {
            title: t('shell:common.actions'),
            key: 'actions',
            render: (_, g) => versionActions(g.latest, g.formId),
          },
        ]}
      />
    </Card>
  );
}
