import {
  ApartmentOutlined,
  BellOutlined,
  DashboardOutlined,
  FormOutlined,
  LogoutOutlined,
  NodeIndexOutlined,
  ProfileOutlined,
} from '@ant-design/icons';
import { Button, Layout, Menu, Select, Space, Typography } from 'antd';
import { lazy, type ReactNode, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import { type Language, LANGUAGES } from '../i18n/index.js';
import { type Area, useSession } from './session.js';

// The bell brings socket.io: its own chunk, so the login page does not wait for it.
const NotificationBell = lazy(() => import('../notifications/bell.js'));

const LANGUAGE_NAMES: Record<Language, string> = { 'zh-CN': '简体中文', en: 'English' };

export function LanguageSwitch() {
  const { i18n } = useTranslation();
  const { setLanguage } = useSession();
  return (
    <Select
      size="small"
      data-testid="language"
      aria-label="language"
      value={i18n.language as Language}
      style={{ width: 110 }}
      onChange={(v) => void setLanguage(v)}
      options={LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_NAMES[l] }))}
    />
  );
}

function TenantSwitch() {
  const { t } = useTranslation();
  const { me, tenantId, setTenant } = useSession();
  if (!me || me.tenants.length < 2) return null;
  return (
    <Space size={4}>
      <Typography.Text style={{ color: '#fff' }}>{t('tenant')}</Typography.Text>
      <Select
        size="small"
        data-testid="tenant"
        value={tenantId}
        style={{ minWidth: 140 }}
        onChange={setTenant}
        options={me.tenants.map((x) => ({ value: x.tenantId, label: x.name ?? x.tenantId }))}
      />
    </Space>
  );
}

interface NavItem {
  key: string;
  area: Area;
  icon: ReactNode;
  label: string;
}

/** The frame of every page after login: navigation by role, tenant and language, sign-out. */
export function AppLayout({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { me, can, logout } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const items: NavItem[] = [
    { key: '/workspace', area: 'workspace', icon: <ProfileOutlined />, label: t('nav.workspace') },
    { key: '/processes', area: 'designer', icon: <NodeIndexOutlined />, label: t('nav.processes') },
    { key: '/forms', area: 'designer', icon: <FormOutlined />, label: t('nav.forms') },
    { key: '/rules', area: 'designer', icon: <ApartmentOutlined />, label: t('nav.rules') },
    { key: '/templates', area: 'templates', icon: <BellOutlined />, label: t('nav.templates') },
    { key: '/monitor', area: 'monitor', icon: <DashboardOutlined />, label: t('nav.monitor') },
  ];
  const visible = items.filter((i) => can(i.area));
  const selected = visible.find((i) => location.pathname.startsWith(i.key))?.key;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="lf-header">
        <Link to="/" className="lf-brand">
          Lifeflow
        </Link>
        <Menu
          theme="dark"
          mode="horizontal"
          data-testid="nav"
          selectedKeys={selected ? [selected] : []}
          style={{ flex: 1, minWidth: 0 }}
          items={visible.map((i) => ({ key: i.key, icon: i.icon, label: <Link to={i.key}>{i.label}</Link> }))}
        />
        <Space size="middle">
          <TenantSwitch />
          {can('workspace') && (
            <Suspense fallback={null}>
              <NotificationBell />
            </Suspense>
          )}
          <LanguageSwitch />
          <Typography.Text style={{ color: '#fff' }} data-testid="me">
            {me?.displayName || me?.username}
          </Typography.Text>
          <Button
            type="text"
            data-testid="logout"
            style={{ color: '#fff' }}
            icon={<LogoutOutlined />}
            onClick={() => void logout().then(() => navigate('/login'))}
          >
            {t('logout')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content className="lf-content">{children}</Layout.Content>
    </Layout>
  );
}
