import { CloseCircleFilled, InfoCircleFilled, WarningFilled } from '@ant-design/icons';
import { Typography } from 'antd';
import type { ReactNode } from 'react';

const ICONS = {
  error: <CloseCircleFilled style={{ color: '#ff4d4f' }} />,
  warning: <WarningFilled style={{ color: '#faad14' }} />,
  info: <InfoCircleFilled style={{ color: '#1677ff' }} />,
};

/**
 * A page-sized message (403, 404, a crash). antd's Result would do, but it bundles its large
 * illustrations into every page's frame.
 */
export function Notice(props: {
  status: keyof typeof ICONS;
  title: ReactNode;
  subTitle?: ReactNode;
  extra?: ReactNode;
}) {
  return (
    <div className="lf-notice" data-testid={`notice-${props.status}`}>
      <div className="lf-notice-icon">{ICONS[props.status]}</div>
      <Typography.Title level={3}>{props.title}</Typography.Title>
      {props.subTitle && <Typography.Paragraph type="secondary">{props.subTitle}</Typography.Paragraph>}
      {props.extra}
    </div>
  );
}
