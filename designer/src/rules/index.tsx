import { Route, Routes } from 'react-router-dom';
import './texts.js';
import { RuleSetEditor } from './editor.js';
import { RuleSetList } from './list.js';

/**
 * The rules area: `/rules` lists the tenant's rule sets, `/rules/new` and `/rules/:ruleSetKey`
 * edit one as a table (deployed as `<id>.json`), with a test panel that runs the draft on the server.
 */
export default function Area() {
  return (
    <Routes>
      <Route index element={<RuleSetList />} />
      <Route path="new" element={<RuleSetEditor />} />
      <Route path=":ruleSetKey" element={<RuleSetEditor />} />
    </Routes>
  );
}
