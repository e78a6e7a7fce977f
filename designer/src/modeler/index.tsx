import { Button, Result, Spin } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Route, Routes, useLocation, useNavigate, useParams } from 'react-router-dom';
import { api } from '../app/api.js';
import { ProblemAlert } from '../app/problem.js';
import { type DefinitionInfo, ModelerView } from './modeler-view.js';
import { newDiagramXml } from './new-diagram.js';
import './texts.js';

/** /processes/new: the file the process list imported (location.state), else a new diagram. */
function NewProcess() {
  const location = useLocation();
  const state = (location.state ?? {}) as { xml?: string; fileName?: string };
  // a new navigation (another imported file, "new" again) starts a new modeler
  return <NewModeler key={location.key} xml={state.xml} fileName={state.fileName} />;
}

function NewModeler({ xml, fileName }: { xml?: string; fileName?: string }) {
  const [initial] = useState(() => (typeof xml === 'string' ? xml : newDiagramXml()));
  return <ModelerView xml={initial} fileName={fileName} />;
}

/** /processes/:processDefinitionKey: that version opened for editing (deploying makes a new one). */
function ExistingProcess() {
  const { processDefinitionKey = '' } = useParams();
  const { t } = useTranslation('modeler');
  const navigate = useNavigate();
  const [loaded, setLoaded] = useState<{ key: string; xml: string; definition: DefinitionInfo }>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let cancelled = false;
    setLoaded(undefined);
    setError(undefined);
    const key = encodeURIComponent(processDefinitionKey);
    Promise.all([
      api.get<DefinitionInfo>(`/v2/process-definitions/${key}`),
      api.get<string>(`/v2/process-definitions/${key}/xml`, { text: true }),
    ])
      .then(([definition, xml]) => !cancelled && setLoaded({ key: processDefinitionKey, definition, xml }))
      .catch((err) => !cancelled && setError(err));
    return () => {
      cancelled = true;
    };
  }, [processDefinitionKey]);

  if (error)
    return (
      <Result
        status="warning"
        title={t('loadFailed')}
        extra={<Button onClick={() => navigate('/processes')}>{t('backToList')}</Button>}
      >
        <ProblemAlert error={error} />
      </Result>
    );
  if (!loaded || loaded.key !== processDefinitionKey)
    return (
      <div style={{ padding: 48, textAlign: 'center' }} data-testid="modeler-loading">
        <Spin />
      </div>
    );
  return <ModelerView key={processDefinitionKey} xml={loaded.xml} definition={loaded.definition} />;
}

/** The modeler area (its own chunk): routes /processes/new and /processes/:processDefinitionKey. */
export default function Area() {
  return (
    <Routes>
      <Route path="new" element={<NewProcess />} />
      <Route path=":processDefinitionKey" element={<ExistingProcess />} />
    </Routes>
  );
}
