import { Spin } from 'antd';
import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router-dom';
import { InboxList } from './list.js';
import './texts.js';

// The task page brings the form viewer and the diagram viewer: a chunk of its own.
const TaskPage = lazy(() => import('./task.js'));

/** The workspace's inbox: the list at `/workspace/inbox`, a task at `/workspace/inbox/tasks/:userTaskKey`. */
export default function Inbox() {
  return (
    <Suspense fallback={<Spin />}>
      <Routes>
        <Route index element={<InboxList />} />
        <Route path="tasks/:userTaskKey" element={<TaskPage />} />
        <Route path="*" element={<InboxList />} />
      </Routes>
    </Suspense>
  );
}
