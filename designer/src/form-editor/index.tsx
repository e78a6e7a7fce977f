import './texts.js';
import { Route, Routes, useParams } from 'react-router-dom';
import { FormEditorPage } from './editor.js';
import { FormList } from './list.js';

/**
 * The form-editor area (`/forms/*`, its own chunk): the list of the tenant's forms, and the
 * form-js editor for a new (or imported) form and for a deployed version.
 */
export default function FormsArea() {
  return (
    <Routes>
      <Route index element={<FormList />} />
      <Route path="new" element={<FormEditorPage />} />
      <Route path=":formKey" element={<KeyedEditor />} />
    </Routes>
  );
}

/** A new editor for each version opened (so a redeploy opens the version it made). */
function KeyedEditor() {
  const { formKey } = useParams();
  return <FormEditorPage key={formKey} />;
}
