import { Alert } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError } from './api.js';

/** A server (or network) error shown in place: the server's words and each field it named. */
export function ProblemAlert({ error, onClose }: { error: unknown; onClose?: () => void }) {
  const { t } = useTranslation();
  if (!error) return null;
  const e =
    error instanceof ApiError ? error : new ApiError(0, 'ERROR', String((error as Error)?.message ?? error));
  const message = e.status === 0 ? t('error.network') : e.detail;
  return (
    <Alert
      type="error"
      showIcon
      closable={!!onClose}
      onClose={onClose}
      data-testid="problem"
      title={message}
      description={
        e.errors.length > 0 ? (
          <ul style={{ margin: 0, paddingInlineStart: 18 }}>
            {e.errors.map((f) => (
              <li key={`${f.field}:${f.reason}`}>
                <code>{f.field}</code> {f.reason}
              </li>
            ))}
          </ul>
        ) : undefined
      }
    />
  );
}
