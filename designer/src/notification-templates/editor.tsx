import { ArrowLeftOutlined, SaveOutlined, UndoOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  Input,
  type InputRef,
  Popconfirm,
  Result,
  Row,
  Space,
  Spin,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { type RefObject, type UIEvent, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { ApiError, api, type FieldError } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { useSession } from '../app/session.js';
import { searchTemplates, type TemplateItem } from './list.js';
import { CHANNELS, EVENTS, LOCALES } from './texts.js';

const mono = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

interface Preview {
  subject: string;
  body: string;
  variables: Record<string, unknown>;
}

/** `line 3: …` → 3 (the server names the line of each template error). */
const lineOf = (reason: string): number | undefined => {
  const m = /^line (\d+):/.exec(reason);
  return m ? Number(m[1]) : undefined;
};

/** A monospace textarea with line numbers; lines named by an error are marked. */
function BodyEditor({
  value,
  onChange,
  errorLines,
  textarea,
  onFocus,
  label,
}: {
  value: string;
  onChange(v: string): void;
  errorLines: Set<number>;
  textarea: RefObject<HTMLTextAreaElement | null>;
  onFocus(): void;
  label: string;
}) {
  const gutter = useRef<HTMLDivElement>(null);
  const lines = Math.max(1, value.split('\n').length);
  const onScroll = (e: UIEvent<HTMLTextAreaElement>) => {
    if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
  };
  const common = { fontFamily: mono, fontSize: 13, lineHeight: '20px', padding: '6px 8px', margin: 0 };
  return (
    <div
      style={{
        display: 'flex',
        border: `1px solid ${errorLines.size ? '#ff4d4f' : '#d9d9d9'}`,
        borderRadius: 6,
        overflow: 'hidden',
        height: 280,
      }}
    >
      <div
        ref={gutter}
        aria-hidden
        data-testid="template-gutter"
        style={{
          ...common,
          background: '#fafafa',
          color: '#999',
          textAlign: 'right',
          userSelect: 'none',
          overflow: 'hidden',
          minWidth: 40,
          borderRight: '1px solid #f0f0f0',
        }}
      >
        {Array.from({ length: lines }, (_, i) => i + 1).map((n) => (
          <div
            key={n}
            data-error={errorLines.has(n) ? 'true' : undefined}
            style={errorLines.has(n) ? { color: '#fff', background: '#ff4d4f', borderRadius: 3 } : undefined}
          >
            {n}
          </div>
        ))}
      </div>
      <textarea
        ref={textarea}
        data-testid="template-body"
        aria-label={label}
        value={value}
        spellCheck={false}
        wrap="off"
        onChange={(e) => onChange(e.target.value)}
        onScroll={onScroll}
        onFocus={onFocus}
        style={{ ...common, flex: 1, border: 'none', outline: 'none', resize: 'none', whiteSpace: 'pre' }}
      />
    </div>
  );
}

function Errors({ list, testId }: { list: FieldError[]; testId: string }) {
  if (!list.length) return null;
  return (
    <div data-testid={testId}>
      {list.map((e) => (
        <Typography.Text key={e.reason} type="danger" style={{ display: 'block', fontSize: 12 }}>
          {e.reason}
        </Typography.Text>
      ))}
    </div>
  );
}

/** `/templates/:event/:channel/:locale`: edit one text with a live preview on sample data. */
export function TemplateEditor() {
  const { event = '', channel = '', locale = '' } = useParams();
  const { t } = useTranslation('templates');
  const valid =
    (EVENTS as readonly string[]).includes(event) &&
    (CHANNELS as readonly string[]).includes(channel) &&
    (LOCALES as readonly string[]).includes(locale);
  if (!valid)
    return (
      <div data-testid="template-editor">
        <Result
          status="404"
          title="404"
          subTitle={t('editor.notFound')}
          extra={<Link to="/templates">{t('editor.back')}</Link>}
        />
      </div>
    );
  return <Editor key={`${event}|${channel}|${locale}`} event={event} channel={channel} locale={locale} />;
}

function Editor({ event, channel, locale }: { event: string; channel: string; locale: string }) {
  const { t } = useTranslation('templates');
  const { message } = App.useApp();
  const { tenantId } = useSession();
  const [saved, setSaved] = useState<TemplateItem>();
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [loadError, setLoadError] = useState<unknown>();
  const [preview, setPreview] = useState<Preview>();
  const [variables, setVariables] = useState<Record<string, unknown>>({});
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [previewError, setPreviewError] = useState<unknown>();
  const [pending, setPending] = useState(false);
  const [saveError, setSaveError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const subjectRef = useRef<InputRef>(null);
  const focused = useRef<'subject' | 'body'>('body');
  const previewSeq = useRef(0);

  const load = async () => {
    setLoadError(undefined);
    try {
      const item = (await searchTemplates(tenantId)).find(
        (i) => i.event === event && i.channel === channel && i.locale === locale,
      );
      if (!item) throw new ApiError(404, 'NOT_FOUND', t('editor.notFound'));
      setSaved(item);
      setSubject(item.subject);
      setBody(item.body);
    } catch (err) {
      setLoadError(err);
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: loads once per template and tenant
  useEffect(() => {
    void load();
  }, [tenantId]);

  // The live preview: the draft rendered by the server on sample data, ~300 ms after the last key.
  useEffect(() => {
    if (!saved) return;
    setPending(true);
    const seq = ++previewSeq.current;
    const timer = setTimeout(() => {
      api
        .post<Preview>('/v2/notification-templates/preview', { event, channel, locale, subject, body })
        .then((p) => {
          if (seq !== previewSeq.current) return;
          setPreview(p);
          setVariables(p.variables ?? {});
          setErrors([]);
          setPreviewError(undefined);
        })
        .catch((err) => {
          if (seq !== previewSeq.current) return;
          if (err instanceof ApiError && err.status === 400 && err.errors.length) {
            setErrors(err.errors);
            setPreviewError(undefined);
          } else setPreviewError(err);
        })
        .finally(() => {
          if (seq === previewSeq.current) setPending(false);
        });
    }, 300);
    return () => clearTimeout(timer);
  }, [saved, event, channel, locale, subject, body]);

  const subjectErrors = errors.filter((e) => e.field === 'subject');
  const bodyErrors = errors.filter((e) => e.field !== 'subject');
  const errorLines = useMemo(
    () => new Set(bodyErrors.map((e) => lineOf(e.reason)).filter((n): n is number => n !== undefined)),
    [bodyErrors],
  );
  const dirty = !!saved && (subject !== saved.subject || body !== saved.body);
  const invalid = errors.length > 0;

  const insert = (name: string) => {
    const text = `{{${name}}}`;
    const target = focused.current === 'subject' ? subjectRef.current?.input : bodyRef.current;
    const current = focused.current === 'subject' ? subject : body;
    const start = target?.selectionStart ?? current.length;
    const end = target?.selectionEnd ?? current.length;
    const next = current.slice(0, start) + text + current.slice(end);
    if (focused.current === 'subject') setSubject(next);
    else setBody(next);
    requestAnimationFrame(() => {
      target?.focus();
      target?.setSelectionRange(start + text.length, start + text.length);
    });
  };

  const save = async () => {
    setSaveError(undefined);
    setBusy(true);
    try {
      const res = await api.put<TemplateItem>(`/v2/notification-templates/${event}/${channel}/${locale}`, {
        subject,
        body,
        ...(tenantId ? { tenantId } : {}),
      });
      setSaved(res);
      void message.success(t('editor.saved'));
    } catch (err) {
      setSaveError(err);
      if (err instanceof ApiError && err.errors.length) setErrors(err.errors);
    } finally {
      setBusy(false);
    }
  };

  const reset = async () => {
    setSaveError(undefined);
    setBusy(true);
    try {
      const q = tenantId ? `?tenantId=${encodeURIComponent(tenantId)}` : '';
      await api.delete(`/v2/notification-templates/${event}/${channel}/${locale}${q}`);
      await load();
      void message.success(t('editor.resetDone'));
    } catch (err) {
      setSaveError(err);
    } finally {
      setBusy(false);
    }
  };

  const title = (
    <Space wrap>
      <Link to="/templates" aria-label={t('editor.back')}>
        <ArrowLeftOutlined />
      </Link>
      <span>{t(`events.${event}`)}</span>
      <Tag>{t(`channels.${channel}`)}</Tag>
      <Tag>{t(`locales.${locale}`)}</Tag>
      {saved && (
        <Tag color={saved.custom ? 'blue' : undefined} data-testid="template-state">
          {saved.custom ? t('custom') : t('default')}
        </Tag>
      )}
      {dirty && <Tag color="orange">{t('editor.unsaved')}</Tag>}
    </Space>
  );

  if (loadError)
    return (
      <div data-testid="template-editor">
        <Card title={title}>
          <ProblemAlert error={loadError} />
        </Card>
      </div>
    );
  if (!saved)
    return (
      <div data-testid="template-editor" style={{ padding: 48, textAlign: 'center' }}>
        <Spin />
      </div>
    );

  const isHtml = channel !== 'WEBHOOK';
  const srcDoc = preview
    ? `<!doctype html><html><head><meta charset="utf-8"><style>body{font:14px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:12px;white-space:pre-wrap;word-break:break-word;color:#222}</style></head><body>${preview.body}</body></html>`
    : '';

  return (
    <div data-testid="template-editor">
      <Card
        title={title}
        extra={
          <Space>
            <Popconfirm
              title={t('editor.resetConfirm')}
              onConfirm={() => void reset()}
              disabled={!saved.custom}
            >
              <Button icon={<UndoOutlined />} disabled={!saved.custom || busy} data-testid="template-reset">
                {t('editor.reset')}
              </Button>
            </Popconfirm>
            <Tooltip title={invalid ? t('editor.invalid') : undefined}>
              <Button
                type="primary"
                icon={<SaveOutlined />}
                loading={busy}
                disabled={invalid || pending}
                data-testid="template-save"
                onClick={() => void save()}
              >
                {t('editor.save')}
              </Button>
            </Tooltip>
          </Space>
        }
      >
        <Space orientation="vertical" style={{ width: '100%' }}>
          <ProblemAlert error={saveError} onClose={() => setSaveError(undefined)} />
          <Row gutter={16}>
            <Col xs={24} lg={12}>
              <Space orientation="vertical" style={{ width: '100%' }}>
                <div>
                  <Typography.Text strong>{t('editor.subject')}</Typography.Text>
                  <Input
                    ref={subjectRef}
                    data-testid="template-subject"
                    aria-label={t('editor.subject')}
                    value={subject}
                    onChange={(e) => setSubject(e.target.value)}
                    onFocus={() => {
                      focused.current = 'subject';
                    }}
                    status={subjectErrors.length ? 'error' : undefined}
                    style={{ fontFamily: mono }}
                  />
                  <Errors list={subjectErrors} testId="template-subject-errors" />
                </div>
                <div>
                  <Typography.Text strong>{t('editor.body')}</Typography.Text>
                  <BodyEditor
                    value={body}
                    onChange={setBody}
                    errorLines={errorLines}
                    textarea={bodyRef}
                    label={t('editor.body')}
                    onFocus={() => {
                      focused.current = 'body';
                    }}
                  />
                  <Errors list={bodyErrors} testId="template-body-errors" />
                </div>
                <div data-testid="template-variables">
                  <Typography.Text strong>{t('editor.variables')}</Typography.Text>
                  <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                    {t('editor.variablesHint')}
                  </Typography.Text>
                  <Space wrap size={[4, 4]} style={{ marginTop: 4 }}>
                    {Object.entries(variables).map(([name, sample]) => (
                      <Tooltip key={name} title={String(sample ?? '')}>
                        <Button
                          size="small"
                          data-testid={`template-var-${name}`}
                          style={{ fontFamily: mono }}
                          // keep the cursor in the field: the click must not take the focus
                          onMouseDown={(e) => e.preventDefault()}
                          onClick={() => insert(name)}
                        >
                          {`{{${name}}}`}
                        </Button>
                      </Tooltip>
                    ))}
                  </Space>
                </div>
              </Space>
            </Col>
            <Col xs={24} lg={12}>
              <div data-testid="template-preview" data-pending={pending ? 'true' : 'false'}>
                <Space style={{ marginBottom: 4 }}>
                  <Typography.Text strong>{t('editor.preview')}</Typography.Text>
                  {pending && <Spin size="small" />}
                </Space>
                <ProblemAlert error={previewError} />
                {invalid && (
                  <Typography.Text type="danger" style={{ display: 'block' }}>
                    {t('editor.invalid')}
                  </Typography.Text>
                )}
                {preview && (
                  <div style={{ opacity: invalid ? 0.5 : 1 }}>
                    <div
                      data-testid="template-preview-subject"
                      style={{ padding: '6px 0', fontWeight: 600, borderBottom: '1px solid #f0f0f0' }}
                    >
                      {preview.subject}
                    </div>
                    {isHtml ? (
                      <iframe
                        title={t('editor.preview')}
                        sandbox=""
                        srcDoc={srcDoc}
                        style={{ width: '100%', height: 280, border: '1px solid #f0f0f0', marginTop: 8 }}
                      />
                    ) : (
                      <>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {t('editor.webhookHint')}
                        </Typography.Text>
                        <pre
                          data-testid="template-preview-text"
                          style={{
                            fontFamily: mono,
                            background: '#fafafa',
                            padding: 12,
                            whiteSpace: 'pre-wrap',
                          }}
                        >
                          {JSON.stringify({ title: preview.subject, text: preview.body, event }, null, 2)}
                        </pre>
                      </>
                    )}
                  </div>
                )}
              </div>
            </Col>
          </Row>
        </Space>
      </Card>
    </div>
  );
}
