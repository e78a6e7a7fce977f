import '@bpmn-io/form-js/dist/assets/form-js.css';
import '@bpmn-io/form-js/dist/assets/form-js-editor.css';
import '@bpmn-io/form-js/dist/assets/properties-panel.css';
import '@bpmn-io/form-js-editor/dist/assets/dragula.css';
import { ArrowLeftOutlined, CloudUploadOutlined, DownloadOutlined } from '@ant-design/icons';
import { FormEditor } from '@bpmn-io/form-js';
import { Alert, App, Button, Card, Form as AntForm, Input, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate, useParams } from 'react-router-dom';
import { ApiError, api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import {
  formJsEditorModules,
  formLanguage,
  localizeDatePicker,
  localizeFormDom,
} from '../form-i18n/index.js';
import { saveTextFile } from '../app/files.js';
import { type FormSchema, type FormVersion, fetchForm, formFileText } from './files.js';
import { FormPreview, FormVariables } from './preview.js';

/** The editor and a way to apply the edits still being typed. */
interface EditorHandle {
  editor: FormEditor;
  /** False until the schema is imported (and when it could not be: then the schema is kept). */
  ready: boolean;
  flush(): void;
}

const EXPORTER = { name: 'Lifeflow', version: '0.1.0' };
const FORM_ID = /^[A-Za-z_][\w.-]*$/;

/**
 * form-js' `debounce` service (300 ms, as its own), but one whose pending calls can be run now:
 * the properties panel debounces what is typed, and Deploy/Export must not lose the last keys.
 */
function flushableDebounceModule(pending: Set<() => void>) {
  const debounce = (fn: (...args: unknown[]) => void) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: { self: unknown; args: unknown[] } | undefined;
    const run = () => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      pending.delete(run);
      if (last) fn.apply(last.self, last.args);
    };
    const debounced = function (this: unknown, ...args: unknown[]) {
      last = { self: this, args };
      clearTimeout(timer);
      timer = setTimeout(run, 300);
      pending.add(run);
    };
    debounced.flush = run;
    debounced.cancel = () => {
      clearTimeout(timer);
      timer = undefined;
      pending.delete(run);
    };
    return debounced;
  };
  return { debounce: ['factory', () => debounce] };
}

function newFormId(): string {
  return `Form_${Math.random().toString(36).slice(2, 9)}`;
}

function blankSchema(): FormSchema {
  return { type: 'default', id: newFormId(), components: [], exporter: EXPORTER };
}

/** The form-js editor (palette, canvas, properties panel) in the app's language. */
function FormJsEditor({
  initial,
  onChange,
  editorRef,
}: {
  initial: FormSchema;
  onChange: (schema: FormSchema) => void;
  editorRef: { current: EditorHandle | null };
}) {
  const { i18n } = useTranslation();
  const lang = formLanguage(i18n.language);
  const container = useRef<HTMLDivElement>(null);
  const current = useRef(initial);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const [error, setError] = useState<string>();

  // Recreated when the language changes, with the schema as edited so far.
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    localizeDatePicker(lang);
    const pending = new Set<() => void>();
    const editor = new FormEditor({
      container: el,
      exporter: EXPORTER,
      additionalModules: [...formJsEditorModules(lang), flushableDebounceModule(pending)],
    } as any);
    const handle: EditorHandle = {
      editor,
      ready: false,
      flush: () => {
        for (const run of [...pending]) run();
      },
    };
    const stop = localizeFormDom(el, lang);
    let ready = false;
    let last = '';
    const publish = () => {
      const schema = editor.saveSchema() as FormSchema;
      const json = JSON.stringify(schema);
      current.current = schema;
      if (json === last) return; // a selection, not an edit
      last = json;
      onChangeRef.current(schema);
    };
    editor.on('changed', () => {
      if (ready) publish();
    });
    editor
      .importSchema(current.current as any)
      .then(() => {
        ready = true;
        handle.ready = true;
        setError(undefined);
        publish();
      })
      .catch((err: Error) => setError(err?.message ?? String(err)));
    editorRef.current = handle;
    return () => {
      handle.flush(); // what was typed last survives a change of language
      stop();
      if (editorRef.current === handle) editorRef.current = null;
      editor.destroy();
    };
  }, [lang, editorRef]);

  return (
    <>
      {error ? <Alert type="error" showIcon title={error} style={{ marginBottom: 8 }} /> : null}
      <div
        ref={container}
        data-testid="form-editor-canvas"
        className="lf-form-editor"
        style={{ height: 'calc(100vh - 250px)', minHeight: 560, border: '1px solid #f0f0f0' }}
      />
    </>
  );
}

interface Loaded {
  schema: FormSchema;
  deployed?: FormVersion;
  fileName?: string;
}

/** /forms/new and /forms/:formKey: design, preview, variables, deploy and export one form. */
export function FormEditorPage() {
  const { t } = useTranslation('forms');
  const { formKey } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const { tenantId } = useSession();
  const { message } = App.useApp();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<unknown>();
  const [schema, setSchema] = useState<FormSchema | null>(null);
  const [formId, setFormId] = useState('');
  const [idError, setIdError] = useState<string>();
  const [deployError, setDeployError] = useState<unknown>();
  const [deploying, setDeploying] = useState(false);
  const editorRef = useRef<EditorHandle | null>(null);

  useEffect(() => {
    let alive = true;
    const state = (location.state ?? {}) as { schema?: FormSchema; fileName?: string };
    if (!formKey) {
      const s = state.schema && typeof state.schema === 'object' ? state.schema : blankSchema();
      const withId = typeof s.id === 'string' && s.id ? s : { ...s, id: newFormId() };
      setLoaded({ schema: withId, fileName: state.fileName });
      setSchema(withId);
      setFormId(withId.id as string);
      return;
    }
    fetchForm(formKey).then(
      (form) => {
        if (!alive) return;
        const { schema: s, ...deployed } = form;
        setLoaded({ schema: s, deployed });
        setSchema(s);
        setFormId(s.id ?? form.formId);
      },
      (err) => alive && setLoadError(err),
    );
    return () => {
      alive = false;
    };
  }, [formKey, location.state]);

  const onEditorChange = useCallback((s: FormSchema) => {
    setSchema(s);
    // The id may also be edited in the properties panel (the form's "ID" entry).
    if (typeof s.id === 'string' && s.id) {
      setFormId((old) => (old === s.id ? old : s.id!));
      setIdError(undefined);
    }
  }, []);

  const checkId = (id: string): string | undefined =>
    !id ? t('editor.formIdRequired') : FORM_ID.test(id) ? undefined : t('editor.formIdInvalid');

  const onFormIdChange = (id: string) => {
    setFormId(id);
    const problem = checkId(id);
    setIdError(problem);
    const editor = editorRef.current?.editor;
    if (problem || !editor) return;
    try {
      const root = (editor as any)._getState().schema;
      if (root.id !== id) (editor.get('modeling') as any).editFormField(root, 'id', id);
    } catch (err) {
      setIdError((err as Error).message);
    }
  };

  const currentSchema = (): FormSchema => {
    const handle = editorRef.current;
    handle?.flush();
    const s = handle?.ready ? (handle.editor.saveSchema() as FormSchema) : (schema ?? blankSchema());
    return { ...s, id: formId };
  };

  const deploy = async () => {
    const problem = checkId(formId);
    if (problem) {
      setIdError(problem);
      return;
    }
    setDeployError(undefined);
    setDeploying(true);
    try {
      const fileName = `${formId}.form`;
      const body = new FormData();
      body.append(
        'resources',
        new File([formFileText(currentSchema())], fileName, { type: 'application/json' }),
      );
      if (tenantId) body.append('tenantId', tenantId);
      const res = await api.post<{ deployments: Array<{ form?: FormVersion }> }>('/v2/deployments', body);
      const form = res.deployments.find((d) => d.form)?.form;
      if (!form) throw new ApiError(0, 'ERROR', 'no form in the deployment');
      message.success(t('editor.deployed', { id: form.formId, version: form.version }));
      if (form.formKey !== formKey) navigate(`/forms/${form.formKey}`);
      else setLoaded((l) => (l ? { ...l, deployed: { ...(l.deployed as FormVersion), ...form } } : l));
    } catch (err) {
      // A problem on the form id (`<file>#id`) goes to the id field, the rest to the alert.
      if (err instanceof ApiError) {
        const onId = err.errors.find((e) => /#id$/.test(e.field));
        if (onId) setIdError(onId.reason);
      }
      setDeployError(err);
    } finally {
      setDeploying(false);
    }
  };

  if (loadError)
    return (
      <Card title={t('editor.loadFailed')}>
        <ProblemAlert error={loadError} />
        <Button style={{ marginTop: 12 }} icon={<ArrowLeftOutlined />} onClick={() => navigate('/forms')}>
          {t('editor.back')}
        </Button>
      </Card>
    );
  if (!loaded || !schema)
    return (
      <div style={{ padding: 48, textAlign: 'center' }}>
        <Spin />
      </div>
    );

  const deployed = loaded.deployed;
  return (
    <Card
      data-testid="form-editor"
      styles={{ body: { paddingTop: 0 } }}
      title={
        <Space wrap>
          <Button
            type="text"
            icon={<ArrowLeftOutlined />}
            aria-label={t('editor.back')}
            onClick={() => navigate('/forms')}
          />
          <Typography.Text strong>
            {deployed ? t('editor.title', { id: deployed.formId }) : t('editor.newTitle')}
          </Typography.Text>
          {deployed ? (
            <Tag color="blue" data-testid="form-version">
              {t('editor.version', { version: deployed.version })}
            </Tag>
          ) : (
            <Tag>{t('editor.draft')}</Tag>
          )}
          {loaded.fileName ? (
            <Typography.Text type="secondary">
              {t('editor.importedFrom', { name: loaded.fileName })}
            </Typography.Text>
          ) : null}
        </Space>
      }
      extra={
        <Space align="start">
          <AntForm.Item
            label={t('editor.formId')}
            validateStatus={idError ? 'error' : undefined}
            help={idError}
            style={{ marginBottom: 0 }}
          >
            <Input
              data-testid="form-id"
              value={formId}
              style={{ width: 220 }}
              onChange={(e) => onFormIdChange(e.target.value.trim())}
            />
          </AntForm.Item>
          <Button
            icon={<DownloadOutlined />}
            data-testid="form-export"
            onClick={() =>
              saveTextFile(`${formId || 'form'}.form`, formFileText(currentSchema()), 'application/json')
            }
          >
            {t('editor.export')}
          </Button>
          <Button
            type="primary"
            icon={<CloudUploadOutlined />}
            loading={deploying}
            data-testid="form-deploy"
            onClick={() => void deploy()}
          >
            {t('editor.deploy')}
          </Button>
        </Space>
      }
    >
      {deployError ? (
        <div style={{ marginTop: 12 }}>
          <ProblemAlert error={deployError} onClose={() => setDeployError(undefined)} />
        </div>
      ) : null}
      <Tabs
        data-testid="form-tabs"
        items={[
          {
            key: 'design',
            label: t('editor.design'),
            children: (
              <FormJsEditor initial={loaded.schema} onChange={onEditorChange} editorRef={editorRef} />
            ),
          },
          { key: 'preview', label: t('editor.preview'), children: <FormPreview schema={schema} /> },
          { key: 'variables', label: t('editor.variables'), children: <FormVariables schema={schema} /> },
        ]}
      />
    </Card>
  );
}
