import { TRANSLATIONS_ZH } from './translations-zh.js';

/**
 * A bpmn-js `translate` service for a language: zh-CN looks the template up in the dictionary,
 * English keeps bpmn-js's own texts. `{name}` placeholders are filled in as bpmn-js does.
 */
export function translateModule(language: string) {
  const dictionary: Record<string, string> = language === 'en' ? {} : TRANSLATIONS_ZH;
  function translate(template: string, replacements?: Record<string, unknown>): string {
    const text = dictionary[template] ?? template;
    if (!replacements) return text;
    return text.replace(/{([^}]+)}/g, (match, key: string) =>
      key in replacements ? String(replacements[key]) : match,
    );
  }
  return { translate: ['value', translate] };
}
