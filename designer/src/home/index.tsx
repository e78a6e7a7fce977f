import { Card, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router-dom';
import { useSession } from '../app/session.js';

/**
 * The landing page: process owners go to their designer; everyone else sees the workspace frame
 * (its inbox and the monitor arrive with the web app's second part).
 */
export default function Home() {
  const { t } = useTranslation();
  const { me, can } = useSession();
  const location = useLocation();
  if (location.pathname === '/') {
    if (can('designer') && !me?.roles.includes('admin')) return <Navigate to="/processes" replace />;
    if (can('workspace')) return <Navigate to="/workspace" replace />;
  }
  return (
    <Card>
      <Typography.Title level={4} data-testid="welcome">
        {t('home.welcome', { name: me?.displayName || me?.username })}
      </Typography.Title>
      <Typography.Paragraph>{t('home.workspaceLater')}</Typography.Paragraph>
    </Card>
  );
}
