import '@bpmn-io/form-js/dist/assets/form-js.css';
import '@bpmn-io/form-js/dist/assets/flatpickr/light.css';
import { DesktopOutlined, MobileOutlined } from '@ant-design/icons';
import { Form, getSchemaVariables } from '@bpmn-io/form-js';
import { Alert, Button, Card, Col, Empty, Row, Segmented, Space, Tag, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  formJsViewerModules,
  formLanguage,
  localizeDatePicker,
  localizeFormDom,
} from '../form-i18n/index.js';
import type { FormSchema } from './files.js';

interface Submitted {
  data: Record<string, unknown>;
  errors: Record<string, string[]>;
}

/** Every component of a schema by id (nested groups and dynamic lists included). */
function componentsById(schema: FormSchema): Map<string, any> {
  const out = new Map<string, any>();
  const walk = (list: any[] | undefined) => {
    for (const c of list ?? []) {
      if (c?.id) out.set(c.id, c);
      walk(c?.components);
    }
  };
  walk(schema.components);
  return out;
}

/**
 * Shows a schema in the viewer (unless it shows that schema already: importing resets what was
 * filled in); reports the import error (or none) to `report`.
 */
function importInto(
  form: Form,
  s: FormSchema,
  imported: { current: string },
  report: (error: string | undefined) => void,
) {
  const json = JSON.stringify(s);
  if (json === imported.current) return Promise.resolve();
  imported.current = json;
  return form.importSchema(s as any).then(
    () => report(undefined),
    (err: Error) => report(err?.message ?? String(err)),
  );
}

/**
 * The form as a user will see it (form-js viewer of the current schema), at desktop width or in a
 * 375 px phone frame, with a test submit showing the data or the validation errors.
 */
export function FormPreview({ schema }: { schema: FormSchema }) {
  const { t, i18n } = useTranslation('forms');
  const lang = formLanguage(i18n.language);
  const container = useRef<HTMLDivElement>(null);
  const formRef = useRef<Form | null>(null);
  const schemaRef = useRef(schema);
  const imported = useRef('');
  schemaRef.current = schema;
  const [device, setDevice] = useState<'desktop' | 'phone'>('desktop');
  const [submitted, setSubmitted] = useState<Submitted | null>(null);
  const [importError, setImportError] = useState<string>();
  /** The language of the viewer once it shows the schema (for tests and the curious). */
  const [readyLang, setReadyLang] = useState<string>();

  // One viewer per language (form-js texts are fixed when it is created).
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    localizeDatePicker(lang);
    const form = new Form({ container: el, additionalModules: formJsViewerModules(lang) });
    const stop = localizeFormDom(el, lang);
    form.on('submit', (e: any) => setSubmitted({ data: e.data ?? {}, errors: e.errors ?? {} }));
    formRef.current = form;
    imported.current = '';
    setReadyLang(undefined);
    void importInto(form, schemaRef.current, imported, setImportError).then(() => {
      if (formRef.current === form) setReadyLang(lang);
    });
    return () => {
      stop();
      formRef.current = null;
      form.destroy();
    };
  }, [lang]);

  // The schema as it changes in the editor (after a short pause in typing).
  useEffect(() => {
    const timer = setTimeout(() => {
      if (formRef.current) void importInto(formRef.current, schema, imported, setImportError);
    }, 250);
    return () => clearTimeout(timer);
  }, [schema]);

  const byId = useMemo(() => componentsById(schema), [schema]);
  const errorEntries = Object.entries(submitted?.errors ?? {}).filter(([, list]) => list?.length);

  return (
    <Row gutter={16} data-testid="form-preview" data-lang={readyLang}>
      <Col xs={24} lg={14}>
        <Space style={{ marginBottom: 12 }}>
          <Segmented
            data-testid="form-preview-device"
            value={device}
            onChange={(v) => setDevice(v as 'desktop' | 'phone')}
            options={[
              { value: 'desktop', label: t('preview.desktop'), icon: <DesktopOutlined /> },
              { value: 'phone', label: t('preview.phone'), icon: <MobileOutlined /> },
            ]}
          />
          <Button
            type="primary"
            data-testid="form-preview-submit"
            onClick={() => {
              const result = formRef.current?.submit();
              if (result) setSubmitted({ data: result.data ?? {}, errors: result.errors ?? {} });
            }}
          >
            {t('preview.submit')}
          </Button>
          <Button
            data-testid="form-preview-reset"
            onClick={() => {
              formRef.current?.reset();
              setSubmitted(null);
            }}
          >
            {t('preview.reset')}
          </Button>
        </Space>
        {importError ? (
          <Alert type="error" showIcon title={t('preview.invalidSchema')} description={importError} />
        ) : null}
        <div
          data-testid={device === 'phone' ? 'form-preview-phone' : 'form-preview-desktop'}
          className={device === 'phone' ? 'lf-form-preview-phone' : 'lf-form-preview-desktop'}
          style={
            device === 'phone'
              ? {
                  boxSizing: 'border-box',
                  width: 375,
                  minHeight: 560,
                  margin: '0 auto',
                  border: '10px solid #1f1f1f',
                  borderRadius: 28,
                  overflow: 'auto',
                  background: '#fff',
                }
              : { border: '1px solid #f0f0f0', borderRadius: 8, background: '#fff' }
          }
        >
          <div ref={container} />
        </div>
      </Col>
      <Col xs={24} lg={10}>
        <Card size="small" title={t('preview.data')} data-testid="form-preview-result">
          {!submitted ? (
            <Typography.Text type="secondary">{t('preview.noSubmit')}</Typography.Text>
          ) : (
            <>
              {errorEntries.length > 0 ? (
                <Alert
                  type="warning"
                  showIcon
                  style={{ marginBottom: 8 }}
                  data-testid="form-preview-errors"
                  title={t('preview.errors')}
                  description={
                    <ul style={{ margin: 0, paddingInlineStart: 18 }}>
                      {errorEntries.map(([id, list]) => (
                        <li key={id}>
                          <code>{byId.get(id)?.key ?? byId.get(id)?.label ?? id}</code> {list.join(' ')}
                        </li>
                      ))}
                    </ul>
                  }
                />
              ) : (
                <Tag color="success" style={{ marginBottom: 8 }}>
                  {t('preview.valid')}
                </Tag>
              )}
              <pre data-testid="form-preview-data" style={{ margin: 0, maxHeight: 420, overflow: 'auto' }}>
                {JSON.stringify(submitted.data, null, 2)}
              </pre>
            </>
          )}
        </Card>
      </Col>
    </Row>
  );
}

/** The variables the form reads (to show) and writes (on submit), from its schema, live. */
export function FormVariables({ schema }: { schema: FormSchema }) {
  const { t } = useTranslation('forms');
  const { reads, writes, error } = useMemo(() => {
    try {
      return {
        reads: getSchemaVariables(schema as any, { inputs: true, outputs: false }) as string[],
        writes: getSchemaVariables(schema as any, { inputs: false, outputs: true }) as string[],
        error: undefined,
      };
    } catch (err) {
      return { reads: [], writes: [], error: (err as Error).message };
    }
  }, [schema]);
  const list = (names: string[], testId: string) =>
    names.length === 0 ? (
      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('variables.none')} />
    ) : (
      <Space wrap data-testid={testId}>
        {names.map((n) => (
          <Tag key={n} data-testid={`${testId}-${n}`}>
            <code>{n}</code>
          </Tag>
        ))}
      </Space>
    );
  return (
    <div data-testid="form-variables">
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 8 }} /> : null}
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Card
            size="small"
            title={t('variables.reads')}
            extra={<Typography.Text type="secondary">{t('variables.readsHint')}</Typography.Text>}
          >
            {list(reads, 'form-variables-reads')}
          </Card>
        </Col>
        <Col xs={24} md={12}>
          <Card
            size="small"
            title={t('variables.writes')}
            extra={<Typography.Text type="secondary">{t('variables.writesHint')}</Typography.Text>}
          >
            {list(writes, 'form-variables-writes')}
          </Card>
        </Col>
      </Row>
    </div>
  );
}
