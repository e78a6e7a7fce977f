import { Form, Input, Modal, Select } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../app/api.js';
import { ProblemAlert } from '../../app/problem.js';

export type DialogAction =
  | 'approve'
  | 'reject'
  | 'return'
  | 'transfer'
  | 'delegate'
  | 'signers'
  | 'cc'
  | 'takeback';

export type DialogField =
  | { name: string; kind: 'comment'; required?: boolean }
  | { name: string; kind: 'user' | 'users'; required?: boolean }
  | { name: string; kind: 'groups' }
  | { name: string; kind: 'select'; options: Array<{ value: string; label: string }>; required?: boolean };

interface Option {
  value: string;
  label: string;
}

/** A Select of the tenant's users (POST /v2/users/search), searched by name or username. */
function UserPicker({ multiple, testId, ...rest }: { multiple: boolean; testId: string; [k: string]: any }) {
  const { t } = useTranslation('inbox');
  const [options, setOptions] = useState<Option[]>([]);
  useEffect(() => {
    api
      .post('/v2/users/search', { page: { limit: 100 } })
      .then((res) =>
        setOptions(
          (res.items ?? []).map((u: any) => ({
            value: u.username,
            label: u.name ? `${u.name} (${u.username})` : u.username,
          })),
        ),
      )
      .catch(() => setOptions([]));
  }, []);
  return (
    <Select
      {...rest}
      data-testid={testId}
      mode={multiple ? 'multiple' : undefined}
      showSearch
      optionFilterProp="label"
      placeholder={t('pickUser')}
      options={options}
      allowClear
    />
  );
}

function GroupPicker({ testId, ...rest }: { testId: string; [k: string]: any }) {
  const [options, setOptions] = useState<Option[]>([]);
  useEffect(() => {
    api
      .post('/v2/groups/search', { page: { limit: 100 } })
      .then((res) =>
        setOptions((res.items ?? []).map((g: any) => ({ value: g.groupId, label: g.name || g.groupId }))),
      )
      .catch(() => setOptions([]));
  }, []);
  return (
    <Select
      {...rest}
      data-testid={testId}
      mode="multiple"
      optionFilterProp="label"
      options={options}
      allowClear
    />
  );
}

/**
 * One operation's dialog (`dialog-<action>`, submit `dialog-<action>-submit`): its fields, the
 * server's errors in place (the problem above, field errors on their fields).
 */
export function ActionDialog({
  action,
  title,
  fields,
  initial,
  onSubmit,
  onDone,
  onCancel,
}: {
  action: DialogAction;
  title: string;
  fields: DialogField[];
  initial?: Record<string, unknown>;
  onSubmit: (values: Record<string, any>) => Promise<void>;
  onDone: () => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation('inbox');
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    let values: Record<string, any>;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(values);
      onDone();
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) {
        const names = new Set(fields.map((f) => f.name));
        const onFields = err.errors
          .map((e) => ({ name: e.field.split(/[.[]/)[0], reason: e.reason }))
          .filter((e) => names.has(e.name));
        form.setFields(onFields.map((e) => ({ name: e.name, errors: [e.reason] })));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={title}
      onCancel={onCancel}
      onOk={submit}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': `dialog-${action}-submit` } as any}
      destroyOnHidden
      width={520}
    >
      <div data-testid={`dialog-${action}`}>
        {error ? <ProblemAlert error={error} onClose={() => setError(undefined)} /> : null}
        <Form form={form} layout="vertical" initialValues={initial}>
          {fields.map((f) => {
            const label = t(`fields.${f.name}`);
            const required = 'required' in f && !!f.required;
            const rules = required ? [{ required: true, message: t('required', { field: label }) }] : [];
            const testId = `dialog-${action}-${f.name}`;
            return (
              <Form.Item key={f.name} name={f.name} label={label} rules={rules}>
                {f.kind === 'comment' ? (
                  <Input.TextArea data-testid={testId} rows={3} maxLength={2000} showCount />
                ) : f.kind === 'user' || f.kind === 'users' ? (
                  <UserPicker multiple={f.kind === 'users'} testId={testId} />
                ) : f.kind === 'groups' ? (
                  <GroupPicker testId={testId} />
                ) : (
                  <Select data-testid={testId} options={f.kind === 'select' ? f.options : []} />
                )}
              </Form.Item>
            );
          })}
        </Form>
      </div>
    </Modal>
  );
}
