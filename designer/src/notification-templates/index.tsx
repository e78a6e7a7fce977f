import { Route, Routes } from 'react-router-dom';
import './texts.js';
import { TemplateEditor } from './editor.js';
import { TemplateMatrix } from './list.js';

/**
 * The notification-templates area (administrators): `/templates` shows every event × channel ×
 * language and which the tenant overrides; `/templates/:event/:channel/:locale` edits one text.
 */
export default function Area() {
  return (
    <Routes>
      <Route index element={<TemplateMatrix />} />
      <Route path=":event/:channel/:locale" element={<TemplateEditor />} />
    </Routes>
  );
}
