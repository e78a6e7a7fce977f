import { ExperimentOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Input, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { type Draft, newId, type Problem, problemOfField, sampleOf, toDoc } from './model.js';

interface Result {
  events: Array<{ type: string; params: Record<string, unknown>; id?: string }>;
  params: Record<string, unknown>;
}

/**
 * Runs the draft on sample variables on the server (POST /v2/rule-sets/evaluation): nothing is
 * evaluated in the browser. Problems the server names on rules are handed to the table.
 */
export function TestPanel({
  draft,
  sample,
  onSample,
  onProblems,
}: {
  draft: Draft;
  sample: string;
  onSample(text: string): void;
  /** Client problems (null: none checked) or the server's, to show on the rows. */
  onProblems(client: boolean, problems: Problem[]): void;
}) {
  const { t } = useTranslation('rules');
  const [result, setResult] = useState<Result>();
  const [error, setError] = useState<unknown>();
  const [sampleError, setSampleError] = useState<string>();
  const [running, setRunning] = useState(false);
  /** The draft has problems (shown on the rows): not sent. Cleared by the next edit. */
  const [blocked, setBlocked] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: any edit of the draft clears it
  useEffect(() => setBlocked(false), [draft]);

  const run = async () => {
    setError(undefined);
    setSampleError(undefined);
    setResult(undefined);
    setBlocked(false);
    let variables: unknown;
    try {
      variables = JSON.parse(sample.trim() === '' ? '{}' : sample);
    } catch (err) {
      setSampleError(`${t('err.badJson')}: ${(err as Error).message}`);
      return;
    }
    if (!variables || typeof variables !== 'object' || Array.isArray(variables)) {
      setSampleError(t('test.notObject'));
      return;
    }
    const { doc, problems } = toDoc(draft);
    onProblems(true, problems);
    if (problems.length) {
      setBlocked(true);
      return;
    }
    setRunning(true);
    try {
      const res = await api.post<Result>('/v2/rule-sets/evaluation', { ruleSet: doc, variables });
      setResult({ ...res, events: res.events.map((e) => ({ ...e, id: newId() })) });
      onProblems(false, []);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError)
        onProblems(
          false,
          err.errors.map((e) => problemOfField(e.field, e.reason)),
        );
    } finally {
      setRunning(false);
    }
  };

  return (
    <Card
      data-testid="rules-test"
      size="small"
      title={
        <Space>
          <ExperimentOutlined />
          {t('test.title')}
        </Space>
      }
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Text>{t('test.variables')}</Typography.Text>
        <Input.TextArea
          data-testid="rules-test-variables"
          aria-label={t('test.variables')}
          value={sample}
          onChange={(e) => onSample(e.target.value)}
          autoSize={{ minRows: 3, maxRows: 12 }}
          status={sampleError ? 'error' : undefined}
          style={{ fontFamily: 'monospace' }}
          spellCheck={false}
        />
        {sampleError && (
          <Typography.Text type="danger" data-testid="rules-test-error">
            {sampleError}
          </Typography.Text>
        )}
        {blocked && (
          <Typography.Text type="danger" data-testid="rules-test-blocked">
            {t('editor.fixFirst')}
          </Typography.Text>
        )}
        <Space>
          <Button onClick={() => onSample(JSON.stringify(sampleOf(draft), null, 2))}>{t('test.fill')}</Button>
          <Button type="primary" loading={running} onClick={() => void run()} data-testid="rules-test-run">
            {t('test.run')}
          </Button>
        </Space>
        <ProblemAlert error={error} onClose={() => setError(undefined)} />
        {result && (
          <div data-testid="rules-result">
            <Typography.Title level={5}>{t('test.events')}</Typography.Title>
            {result.events.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('test.noEvents')} />
            ) : (
              <ol style={{ paddingInlineStart: 20 }}>
                {result.events.map((e) => (
                  <li key={e.id} data-testid="rules-result-event">
                    <Tag color="green">{e.type}</Tag>
                    <code>{JSON.stringify(e.params)}</code>
                  </li>
                ))}
              </ol>
            )}
            <Typography.Title level={5}>{t('test.params')}</Typography.Title>
            <pre data-testid="rules-result-params" style={{ background: '#fafafa', padding: 8, margin: 0 }}>
              {JSON.stringify(result.params, null, 2)}
            </pre>
          </div>
        )}
      </Space>
    </Card>
  );
}
