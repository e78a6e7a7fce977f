import { Button } from 'antd';
import { Component, type ReactNode } from 'react';
import i18n from '../i18n/index.js';
import { Notice } from './notice.js';

/** A screen that throws while rendering shows what happened and a way out, never a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <Notice
        status="error"
        title={i18n.t('error.crashed')}
        subTitle={this.state.error.message}
        extra={
          <Button type="primary" onClick={() => location.reload()}>
            {i18n.t('error.reload')}
          </Button>
        }
      />
    );
  }
}
