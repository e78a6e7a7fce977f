import { Route, Routes } from 'react-router-dom';
import './texts.js';
import { ModuleList } from './list.js';
import { ModulePage } from './module.js';

/**
 * The modules area (administrators and process owners): `/modules` lists the group standard's
 * modules with what the tenant runs; `/modules/:id` shows one, its resources and the tenant's
 * overrides with their difference to the standard.
 */
export default function Area() {
  return (
    <Routes>
      <Route index element={<ModuleList />} />
      <Route path=":moduleId" element={<ModulePage />} />
    </Routes>
  );
}
