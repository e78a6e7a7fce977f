import '@bpmn-io/form-js/dist/assets/form-js.css';
import '@bpmn-io/form-js/dist/assets/flatpickr/light.css';
import { Form } from '@bpmn-io/form-js';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import {
  formJsViewerModules,
  formLanguage,
  localizeDatePicker,
  localizeFormDom,
} from '../../form-i18n/index.js';

export interface StartFormHandle {
  /** Validates the form: its data, and the validation errors by field (in the user's language). */
  submit(): { data: Record<string, unknown>; errors: Record<string, string[]> };
}

/** The start event's form in the form-js viewer, in the user's language. */
export const StartForm = forwardRef<StartFormHandle, { schema: unknown; onError: (message: string) => void }>(
  function StartForm({ schema, onError }, ref) {
    const { i18n } = useTranslation();
    const lang = formLanguage(i18n.language);
    const container = useRef<HTMLDivElement>(null);
    const formRef = useRef<Form | null>(null);
    const onErrorRef = useRef(onError);
    onErrorRef.current = onError;

    useImperativeHandle(ref, () => ({
      submit() {
        const r = formRef.current?.submit() as any;
        return { data: r?.data ?? {}, errors: r?.errors ?? {} };
      },
    }));

    useEffect(() => {
      const el = container.current;
      if (!el) return;
      localizeDatePicker(lang);
      const form = new Form({ container: el, additionalModules: formJsViewerModules(lang) });
      const stop = localizeFormDom(el, lang);
      formRef.current = form;
      form.importSchema(schema as any).catch((err: Error) => onErrorRef.current(err?.message ?? String(err)));
      return () => {
        stop();
        formRef.current = null;
        form.destroy();
      };
    }, [lang, schema]);

    return <div ref={container} data-testid="start-form-viewer" />;
  },
);
