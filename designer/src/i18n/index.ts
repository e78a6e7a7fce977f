import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { shellEn, shellZh } from './shell.js';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'lifeflow.language';

/** The language before anyone logged in: the last one chosen on this browser, else zh-CN. */
export function initialLanguage(): Language {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  return (LANGUAGES as readonly string[]).includes(stored ?? '') ? (stored as Language) : 'zh-CN';
}

export function rememberLanguage(lang: Language): void {
  globalThis.localStorage?.setItem(STORAGE_KEY, lang);
}

void i18next.use(initReactI18next).init({
  lng: initialLanguage(),
  fallbackLng: 'zh-CN',
  defaultNS: 'shell',
  ns: ['shell'],
  resources: { 'zh-CN': { shell: shellZh }, en: { shell: shellEn } },
  interpolation: { escapeValue: false }, // React escapes
  returnNull: false,
});

/**
 * Each area of the app (modeler, form editor, rules, …) brings its own namespace from its own
 * folder, registered when its chunk loads: `registerTexts('rules', { 'zh-CN': {...}, en: {...} })`.
 */
export function registerTexts(ns: string, texts: Record<Language, Record<string, unknown>>): void {
  for (const lang of LANGUAGES) i18next.addResourceBundle(lang, ns, texts[lang], true, true);
}

export default i18next;
